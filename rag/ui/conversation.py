"""One chat conversation: its turns, the history the pipeline sees, and its HTML."""

from __future__ import annotations

from dataclasses import dataclass, field

from rag.types import AnswerResult
from rag.ui.render import esc, render_draft, render_error, render_result

EMPTY_HINT = (
    '<div class="chat-empty">Ask a question about your documents. Answers cite their '
    "passages as [1], [2]…: click a number to open the passage it came from.</div>"
)


@dataclass
class Turn:
    """A question and what became of it: a draft while streaming, then a result or an error."""

    question: str
    draft: str = ""
    result: AnswerResult | None = None
    error: str | None = None


@dataclass
class Conversation:
    """One browser session's chat, held in a gr.State (the same object across events).

    `epoch` changes when the chat is cleared, so an answer still streaming for the
    old chat stops updating the page instead of bringing the old chat back.
    """

    turns: list[Turn] = field(default_factory=list)
    epoch: int = 0

    def clear(self) -> None:
        self.turns = []
        self.epoch += 1


def history(turns: list[Turn]) -> list[tuple[str, str]]:
    """(question, answer) pairs of the finished turns, for follow-up rewriting."""
    return [(t.question, t.result.answer) for t in turns if t.result is not None]


def render_turn(turn: Turn, index: int) -> str:
    if turn.error is not None:
        answer = render_error(turn.error)
    elif turn.result is not None:
        answer = render_result(turn.result, index)
    else:
        answer = render_draft(turn.draft)
    return (
        f'<div class="turn" id="turn-{index}">'
        f'<div class="question"><span class="who">You</span>'
        f'<div class="question-text">{esc(turn.question)}</div></div>{answer}</div>'
    )


def render_conversation(turns: list[Turn]) -> str:
    """All turns, oldest first; source-card ids are unique per turn (cite-<turn>-<n>)."""
    if not turns:
        return f'<div class="rag-chat">{EMPTY_HINT}</div>'
    body = "".join(render_turn(t, i) for i, t in enumerate(turns))
    return f'<div class="rag-chat">{body}</div>'
