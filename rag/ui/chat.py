"""The Chat tab: a question box over one conversation rendered by rag.ui.conversation.

The handler only calls `Rag.ask_stream`; the draft streams as the model writes
and is replaced by the checked answer with its source cards.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import gradio as gr

from rag.errors import RagError
from rag.types import AnswerResult
from rag.ui.conversation import Conversation, Turn, history, render_conversation
from rag.ui.theme import CITATION_JS

if TYPE_CHECKING:
    from rag.service import Rag

log = logging.getLogger(__name__)
REDRAW_EVERY = 0.08  # seconds between draft redraws: smooth, without flooding the socket
LLM_QUEUE = "llm"  # every event that uses the one embedded model shares this queue

Outputs = tuple[Any, Conversation, str, dict | None]


class ChatHandlers:
    """Event handlers of the Chat tab, kept apart from the layout so they are easy to test."""

    def __init__(self, rag: Rag) -> None:
        self.rag = rag

    @staticmethod
    def _out(chat: Conversation, busy: bool, result: AnswerResult | None = None) -> Outputs:
        box = gr.update(value="", interactive=False) if busy else gr.update(interactive=True)
        payload = result.to_json() if result is not None else None
        return box, chat, render_conversation(chat.turns), payload

    def ask(self, question: str, chat: Conversation | None) -> Iterator[Outputs]:
        """Stream one answer; earlier turns are passed on so follow-ups can be resolved."""
        chat = chat if chat is not None else Conversation()
        if not (question or "").strip():
            yield gr.update(), chat, render_conversation(chat.turns), None
            return
        epoch, past = chat.epoch, history(chat.turns)
        turn = Turn(question.strip())
        chat.turns.append(turn)
        yield self._out(chat, busy=True)
        last = time.monotonic()
        try:
            for item in self.rag.ask_stream(turn.question, history=past):
                if chat.epoch != epoch:  # "New chat" was pressed: stop the model, keep the page
                    yield self._out(chat, busy=False)
                    return
                if isinstance(item, AnswerResult):
                    turn.result = item
                    continue
                turn.draft += item
                if time.monotonic() - last >= REDRAW_EVERY:
                    last = time.monotonic()
                    yield self._out(chat, busy=True)
        except RagError as exc:
            turn.error = str(exc)
        except Exception:  # the page must survive a bug; the log keeps the traceback
            log.exception("answering %r failed", turn.question)
            turn.error = "internal error while answering (details are in the server log)"
        if chat.epoch != epoch:
            yield self._out(chat, busy=False)
            return
        if turn.result is None and turn.error is None:
            turn.error = "no answer came back"
        yield self._out(chat, busy=False, result=turn.result)

    @staticmethod
    def new_chat(chat: Conversation | None) -> Outputs:
        """An empty conversation; an answer still streaming for the old one goes quiet."""
        chat = chat if chat is not None else Conversation()
        chat.clear()
        return gr.update(value="", interactive=True), chat, render_conversation([]), None


def build_chat_tab(rag: Rag) -> None:
    """Lay out the tab inside the current gr.Blocks and wire its events."""
    handlers = ChatHandlers(rag)
    chat = gr.State(Conversation())
    conversation = gr.HTML(
        render_conversation([]),
        elem_id="conversation",
        js_on_load=CITATION_JS,
        autoscroll=False,
    )
    with gr.Row(equal_height=True):
        question = gr.Textbox(
            placeholder="Ask about your documents…",
            show_label=False,
            lines=1,
            max_lines=6,
            scale=8,
            elem_id="question",
            autofocus=True,
        )
        send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
        new = gr.Button("New chat", scale=1, elem_id="new-chat")
    with gr.Accordion("Details (JSON)", open=False):
        details = gr.JSON(label="last answer", elem_id="answer-json")

    outputs = [question, chat, conversation, details]
    gr.on(
        [question.submit, send.click],
        handlers.ask,
        inputs=[question, chat],
        outputs=outputs,
        api_name="ask",
        concurrency_id=LLM_QUEUE,
        concurrency_limit=1,
        show_progress="minimal",
    )
    # No `cancels=`: Gradio may re-show a cancelled stream's last output. The answer
    # sees the new epoch instead, closes the model's stream and redraws the new chat.
    new.click(
        handlers.new_chat,
        inputs=[chat],
        outputs=outputs,
        api_name="new_chat",
        concurrency_limit=None,
    )
