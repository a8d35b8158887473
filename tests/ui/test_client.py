"""The running app through Gradio's own client: every event is a named, callable API."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from ui_fakes import FakeRag
from ui_serving import serving

from rag.settings import Settings


def client(url: str, **kw) -> Client:
    return Client(url, verbose=False, analytics_enabled=False, download_files=False, **kw)


def test_ask_endpoint_returns_the_cited_answer(fake_app: str, fake_rag: FakeRag) -> None:
    c = client(fake_app)
    _, html, result = c.predict("Who signed the memorandum?", api_name="/ask")
    assert result["citations"][0]["n"] == 1
    assert 'id="cite-0-1"' in html and "<script" not in html
    c.predict("When?", api_name="/ask")  # the session's conversation is the follow-up's history
    assert fake_rag.calls[-1] == ("ask", [("Who signed the memorandum?", result["answer"])])
    _, html, result = c.predict(api_name="/new_chat")
    assert "chat-empty" in html and result is None


def test_ingest_list_and_forget_through_the_api(
    fake_app: str, fake_rag: FakeRag, tmp_path: Path
) -> None:
    doc = tmp_path / "notes v2.txt"
    doc.write_text("hello")
    c = client(fake_app)
    status, table, *_ = c.predict([handle_file(str(doc))], api_name="/ingest")
    stored = fake_rag.settings.home / "uploads" / "notes_v2.txt"
    assert "1 added" in status and stored.read_text() == "hello"
    assert "notes_v2.txt" in c.predict(api_name="/sources")[0]
    status, table, *_ = c.predict(stored.as_posix(), api_name="/forget")
    assert "Forgot notes_v2.txt" in status and not stored.exists()


def test_uploads_over_the_size_limit_are_refused(fake_app: str, tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 20_000)  # the fake app allows 0.01 MB
    with pytest.raises(Exception, match="(?i)size|large|exceed|413"):
        client(fake_app).predict([handle_file(str(big))], api_name="/ingest")


def test_summarize_through_the_api(fake_app: str, fake_rag: FakeRag) -> None:
    html, files = client(fake_app).predict(["/docs/a.txt"], "brief", 0, api_name="/summarize")
    assert "cite-s0-1" in html and "&lt;script&gt;" in html and "<script" not in html
    assert files and files[0]["path"].endswith("a.md")


def test_login_is_required_when_ui_auth_is_set(tmp_path: Path) -> None:
    rag = FakeRag(Settings(home=tmp_path, ui_auth="ann:pa:ss"))
    with serving(rag) as url:
        with pytest.raises(urllib.error.HTTPError) as denied:
            urllib.request.urlopen(url + "config", timeout=10)
        assert denied.value.code in (401, 403)
        with pytest.raises(Exception):  # noqa: B017 - the client fails in its own way
            client(url).predict("q", api_name="/ask")
        with pytest.raises(Exception):  # noqa: B017
            client(url, auth=("ann", "wrong")).predict("q", api_name="/ask")
        _, _, result = client(url, auth=("ann", "pa:ss")).predict("Who?", api_name="/ask")
        assert result["citations"]


def test_real_pipeline_answers_with_citations(tiny_app) -> None:
    url, _ = tiny_app
    _, html, result = client(url).predict("Who signed the memorandum?", api_name="/ask")
    assert result["question"] == "Who signed the memorandum?"
    if result["refused"]:  # the 135M model may refuse; then there must be no sources
        assert "cite-card" not in html
    else:
        assert result["citations"] and 'class="cite-card"' in html and "<mark>" in html
