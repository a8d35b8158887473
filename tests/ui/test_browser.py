"""The page in a real headless Chromium: streaming, citation clicks, escaping, offline.

Every request the page makes is recorded; all must go to the app on 127.0.0.1.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from ui_serving import ARTIFACTS, clean_env, real_rag, serving

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class Browser:
    """One page plus the hosts it contacted."""

    def __init__(self, page) -> None:
        self.page = page
        self.urls: list[str] = []
        page.on("request", lambda r: self.urls.append(r.url))

    def foreign(self) -> list[str]:
        """Requested URLs that are not the local app (data: and blob: URLs are local)."""
        return [
            u
            for u in self.urls
            if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).hostname != "127.0.0.1"
        ]

    def ask(self, question: str, timeout_s: float) -> None:
        """Ask, then wait until the turn's checked answer (or refusal, or error) is shown."""
        turns = self.page.locator("#conversation .turn").count()
        self.page.locator("#question textarea").fill(question)
        self.page.locator("#question textarea").press("Enter")
        done = f"#turn-{turns} .answer:not(.draft)"
        self.page.wait_for_selector(done, timeout=timeout_s * 1000)

    def open_citation(self, turn: int, n: int):
        self.page.locator(f'#turn-{turn} a.cite-ref[data-target="cite-{turn}-{n}"]').first.click()
        self.page.wait_for_function(f"document.getElementById('cite-{turn}-{n}').open")
        return self.page.locator(f"#cite-{turn}-{n}")

    def pwned(self) -> bool:
        return self.page.evaluate("typeof window.__pwned") != "undefined"


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser(chromium) -> Iterator[Browser]:
    context = chromium.new_context(viewport={"width": 1200, "height": 1000})
    yield Browser(context.new_page())
    context.close()


def test_chat_streams_links_citations_and_escapes(fake_app: str, browser: Browser) -> None:
    page = browser.page
    page.goto(fake_app)
    page.locator("#question textarea").fill("Who signed the memorandum?")
    page.locator("#ask").click()
    page.wait_for_selector("#turn-0 .answer.draft", timeout=10_000)  # the draft streams first
    page.wait_for_selector("#turn-0 .answer.checked", timeout=20_000)
    assert page.locator("#turn-0 .unsupported .unsupported-label").is_visible()

    card = browser.open_citation(0, 1)
    assert card.locator("mark").first.inner_text() == "Zakir Hasanov"
    assert card.locator("mark").first.is_visible()
    assert "<script>window.__pwned=1</script>" in card.inner_text()  # shown as text
    assert "${window.__pwned=1}{{constructor}}" in card.inner_text()
    assert not browser.pwned()

    browser.ask("what is the weather?", timeout_s=20)
    assert page.locator("#turn-1 .answer.refusal").is_visible()
    assert page.locator("#turn-1 .cite-card").count() == 0

    page.locator("#new-chat").click()
    page.wait_for_selector("#conversation .chat-empty")
    assert browser.foreign() == []


def test_new_chat_stops_a_streaming_answer(fake_app: str, browser: Browser) -> None:
    page = browser.page
    page.goto(fake_app)
    page.locator("#question textarea").fill("Who signed the memorandum?")
    page.locator("#ask").click()
    page.wait_for_selector("#turn-0 .answer.draft", timeout=10_000)
    page.locator("#new-chat").click()
    page.wait_for_timeout(2500)  # longer than the rest of the scripted stream
    assert page.locator("#conversation .turn").count() == 0
    assert page.locator("#question textarea").is_enabled()


def test_library_upload_lists_the_safe_name(
    fake_app: str, browser: Browser, tmp_path: Path
) -> None:
    doc = tmp_path / "evil<b> name.txt"
    doc.write_text("<script>window.__pwned=1</script>")
    page = browser.page
    page.goto(fake_app)
    page.get_by_role("tab", name="Library").click()
    page.locator("#upload input[type=file]").set_input_files(str(doc))
    page.wait_for_selector("#upload >> text=evil", timeout=10_000)
    page.locator("#add").click()
    page.wait_for_selector("#library-status .msg-ok", timeout=20_000)
    table = page.locator("#sources-table").inner_text()
    assert re.search(r"evil_?b_name\.txt", table), table
    assert not browser.pwned() and browser.foreign() == []


def test_login_page_guards_the_app(browser: Browser, tmp_path: Path) -> None:
    from ui_fakes import FakeRag

    from rag.settings import Settings

    with serving(FakeRag(Settings(home=tmp_path, ui_auth="ann:pa:ss"))) as url:
        page = browser.page
        page.goto(url)
        page.locator("input[type=password]").wait_for(timeout=10_000)
        assert page.locator("#question").count() == 0
        page.locator("input[type=text]").first.fill("ann")
        page.locator("input[type=password]").fill("pa:ss")
        page.locator("input[type=password]").press("Enter")
        page.locator("#question textarea").wait_for(timeout=10_000)
        browser.ask("Who signed the memorandum?", timeout_s=20)
        assert page.locator("#turn-0 .answer.checked").is_visible()
        assert browser.foreign() == []


@pytest.mark.slow
def test_real_answer_with_the_default_model(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The seed question answered by qwen2.5-coder-1.5b, checked the way a reader would."""

    tmp = tmp_path_factory.mktemp("browser-home")
    with clean_env(tmp):
        rag = real_rag(tmp / "home")
        try:
            with serving(rag) as url:
                _check_real(browser, url, tmp)
        finally:
            rag.close()


def _check_real(browser: Browser, url: str, tmp: Path) -> None:
    page = browser.page
    page.goto(url)
    browser.ask("Who signed the memorandum?", timeout_s=600)
    answer = page.locator("#turn-0 .answer-text").inner_text()
    assert re.search(r"Hasanov|G[üu]ler", answer), answer

    card = browser.open_citation(0, 1)
    marks = " ".join(card.locator("mark").all_inner_texts())
    words = {w.lower() for w in re.findall(r"\w{4,}", answer)}
    assert words & {w.lower() for w in re.findall(r"\w{4,}", marks)}, (answer, marks)
    ARTIFACTS.mkdir(exist_ok=True)
    card.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "ui-chat.png"), full_page=True)

    evil = tmp / "bluefin.txt"
    evil.write_text(
        "The project codename is Bluefin. <script>window.__pwned=1</script> "
        '<img src=x onerror="window.__pwned=1"> The codename Bluefin was chosen in 2024 '
        "by the naval research office."
    )
    page.get_by_role("tab", name="Library").click()
    page.locator("#upload input[type=file]").set_input_files(str(evil))
    page.wait_for_selector("#upload >> text=bluefin", timeout=10_000)
    page.locator("#add").click()
    page.wait_for_selector("#library-status .msg-ok", timeout=120_000)
    page.get_by_role("tab", name="Chat").click()
    browser.ask("What is the project codename?", timeout_s=600)
    cards = page.locator("#turn-1 .cite-card")
    if cards.count():
        texts = " ".join(cards.all_text_contents())
        assert "<script>" in texts or "Bluefin" in texts
    assert not browser.pwned()
    assert browser.foreign() == []
