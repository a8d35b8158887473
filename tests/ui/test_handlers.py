"""The tabs' handlers over a scripted Rag: streaming, history, errors, uploads, forgetting."""

from __future__ import annotations

from pathlib import Path

import pytest
from ui_fakes import FakeRag

from rag.settings import Settings
from rag.ui.chat import ChatHandlers
from rag.ui.conversation import Conversation
from rag.ui.library import LibraryHandlers, source_choices
from rag.ui.summaries import SummaryHandlers


class Bar:
    def __init__(self) -> None:
        self.calls: list[tuple[float, str]] = []

    def __call__(self, fraction: float, desc: str = "") -> None:
        self.calls.append((fraction, desc))


@pytest.fixture
def rag(settings: Settings) -> FakeRag:
    return FakeRag(settings)


def test_ask_streams_a_draft_then_the_checked_answer(rag: FakeRag) -> None:
    steps = list(ChatHandlers(rag).ask("Who signed?", Conversation()))
    box, chat, html, payload = steps[0]
    assert box["interactive"] is False and 'class="answer draft"' in html and payload is None
    box, chat, html, payload = steps[-1]
    assert box["interactive"] is True
    assert 'class="answer checked"' in html and 'id="cite-0-1"' in html
    assert payload["citations"][0]["n"] == 1 and chat.turns[0].result is not None


def test_follow_ups_pass_the_history_and_new_chat_clears_it(rag: FakeRag) -> None:
    handlers, chat = ChatHandlers(rag), Conversation()
    list(handlers.ask("Who signed?", chat))
    *_, (_, chat, html, _) = handlers.ask("And when?", chat)
    assert rag.calls[0] == ("ask", []) and rag.calls[1][1][0][0] == "Who signed?"
    assert 'id="cite-1-1"' in html and len(chat.turns) == 2
    _, chat, html, payload = handlers.new_chat(chat)
    assert chat.turns == [] and "chat-empty" in html and payload is None


def test_new_chat_silences_an_answer_still_streaming(rag: FakeRag) -> None:
    handlers, chat = ChatHandlers(rag), Conversation()
    stream = handlers.ask("Who signed?", chat)
    next(stream)
    handlers.new_chat(chat)
    (box, chat, html, payload), *rest = list(stream)  # one redraw of the new, empty chat
    assert not rest and "chat-empty" in html and box["interactive"] is True
    assert chat.turns == [] and payload is None


def test_errors_and_refusals_are_shown_not_raised(rag: FakeRag) -> None:
    handlers, chat = ChatHandlers(rag), Conversation()
    *_, (_, chat, html, _) = handlers.ask("cause an error", chat)
    assert 'role="alert"' in html and "is down" in html
    *_, (_, chat, html, payload) = handlers.ask("what is the weather?", chat)
    assert 'class="answer refusal"' in html and payload["refused"] is True
    assert [t.question for t in chat.turns] == ["cause an error", "what is the weather?"]


def test_blank_question_is_ignored(rag: FakeRag) -> None:
    (_, chat, _, _), *rest = ChatHandlers(rag).ask("   ", None)
    assert not rest and chat.turns == [] and rag.calls == []


def test_add_stores_safely_ingests_and_lists_failures(rag: FakeRag, tmp_path: Path) -> None:
    lib = LibraryHandlers(rag)
    good, bad, exe = tmp_path / "a.txt", tmp_path / "b.md", tmp_path / "c.exe"
    good.write_text("hello")
    bad.write_text("%BAD")
    exe.write_text("x")
    bar = Bar()
    status, table, pick, _, cleared = lib.add([str(good), str(bad), str(exe)], progress=bar)
    stored = [p.name for p in rag.calls[0][1]]
    assert stored == ["a.txt", "b.md"] and all(p.parent == lib.uploads_dir for p in rag.calls[0][1])
    assert "msg-error" in status and "b.md: corrupt" in status and "c.exe: type" in status
    assert "a.txt" in table and [c[0] for c in pick["choices"]] == ["a.txt"]
    assert sorted(p.name for p in lib.uploads_dir.iterdir()) == ["a.txt"]  # failed one dropped
    assert bar.calls[-1][0] == 1.0 and cleared is None


def test_forget_removes_the_uploaded_copy(rag: FakeRag, tmp_path: Path) -> None:
    lib = LibraryHandlers(rag)
    f = tmp_path / "a.txt"
    f.write_text("hello")
    lib.add([str(f)], progress=Bar())
    key = next(iter(rag.records))
    status, table, pick, _ = lib.forget(key)
    assert "Forgot a.txt (3 chunks)" in status and not Path(key).exists()
    assert pick["choices"] == []
    assert "msg-error" in lib.forget("/nope")[0]


def test_source_choices_show_full_paths_only_when_names_repeat() -> None:
    class R:
        def __init__(self, s: str) -> None:
            self.source = s

    rows = [R("/a/x.txt"), R("/b/x.txt"), R("/c/y.txt")]
    assert [c[0] for c in source_choices(rows)] == ["/a/x.txt", "/b/x.txt", "y.txt"]


def test_summaries_are_rendered_safely_and_offered_as_files(rag: FakeRag) -> None:
    h = SummaryHandlers(rag)
    html, files = h.summarize(["/docs/a.txt"], "bullets", 50, progress=Bar())
    assert "<script" not in html and "<img" not in html and "&lt;script&gt;" in html
    assert 'Signed by Hasanov [<a class="cite-ref" href="#cite-s0-1"' in html
    assert 'id="cite-s0-1"' in html and "⚠ unsupported" in html and "<h4>Gist</h4>" in html
    assert rag.calls[-1] == ("summarize", (["/docs/a.txt"], "bullets", 50))
    assert files and Path(files[0]).read_text().startswith("## Gist")
    html, files = h.summarize([], "brief", 0, progress=Bar())
    assert "Pick one or more" in html and files is None
