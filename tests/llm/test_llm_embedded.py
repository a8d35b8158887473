"""The real SmolLM2-135M served in-process by EmbeddedServer (tiny: checks plumbing only)."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from rag.errors import ConfigError, LLMError
from rag.llm.catalog import CATALOG
from rag.llm.client import LLMClient, make_llm
from rag.llm.modelfile import part_paths
from rag.llm.server import EmbeddedServer, shared_server
from rag.settings import Settings

QUESTION = [{"role": "user", "content": "Name one colour. Answer with one word."}]


@pytest.fixture
def llm(smol_settings: Callable[..., Settings]) -> LLMClient:
    """The process-wide shared server, as the app uses it."""
    return make_llm(smol_settings())


@pytest.fixture
def private_server(smol_settings: Callable[..., Settings]) -> Iterator[EmbeddedServer]:
    """A server of its own, for tests that stop it."""
    server = EmbeddedServer(smol_settings())
    yield server
    server.close()


def _health(base_url: str) -> int:
    root = base_url.removesuffix("/v1")
    with urllib.request.urlopen(f"{root}/health", timeout=5) as resp:
        return int(resp.status)


def test_describe_does_not_start_the_server(smol_settings: Callable[..., Settings]) -> None:
    server = EmbeddedServer(smol_settings(llm_ctx=1024))
    assert "not started" in server.describe() and "smollm2-135m" in server.describe()
    assert not server.started


def test_complete_and_stream(llm: LLMClient) -> None:
    assert llm.embedded and llm.model == "smollm2-135m" and llm.context_window == 2048
    answer = llm.complete(QUESTION, max_tokens=16)
    assert answer.strip()
    deltas = list(llm.stream(QUESTION, max_tokens=16))
    assert len(deltas) > 1 and "".join(deltas).strip()
    assert llm.base_url.startswith("http://127.0.0.1:") and llm.base_url.endswith("/v1")
    assert llm.base_url in llm.describe()


def test_stop_sequence_and_max_tokens_are_honoured(llm: LLMClient) -> None:
    counting = [{"role": "user", "content": "Count from 1 to 20, one number per line."}]
    short = llm.complete(counting, max_tokens=4)
    long = llm.complete(counting, max_tokens=24)
    assert len(short) < len(long) and "\n" in long.strip()
    stopped = llm.complete(counting, max_tokens=24, stop=["\n"])
    assert stopped and "\n" not in stopped


def test_server_is_shared_and_reused(smol_settings: Callable[..., Settings]) -> None:
    first, second = make_llm(smol_settings()), make_llm(smol_settings())
    assert first._server is second._server is shared_server(smol_settings())
    url = first.base_url
    for _ in range(3):
        assert first.complete(QUESTION, max_tokens=4)
        assert second.complete(QUESTION, max_tokens=4)
    assert second.base_url == url and first._server is not None and first._server.restarts == 0


def test_repeated_prompt_prefix_hits_the_kv_cache(llm: LLMClient) -> None:
    """cache_prompt must stay on: RAG prompts share long prefixes."""
    raw = openai.OpenAI(base_url=llm.base_url, api_key="none", max_retries=0)
    prompt: Any = [{"role": "user", "content": "Repeat after me: " + "alpha beta gamma " * 40}]
    raw.chat.completions.create(model=llm.model, messages=prompt, max_tokens=2)
    again = raw.chat.completions.create(model=llm.model, messages=prompt, max_tokens=2)
    details = again.usage.prompt_tokens_details if again.usage else None
    assert details is not None and (details.cached_tokens or 0) > 100


def test_dead_server_is_restarted_once_then_gives_up(private_server: EmbeddedServer) -> None:
    llm = LLMClient(model=private_server.model_name, context_window=2048, server=private_server)
    assert llm.complete(QUESTION, max_tokens=4)
    url = private_server.base_url
    private_server._kill()
    with pytest.raises(urllib.error.URLError):
        _health(url)
    assert llm.complete(QUESTION, max_tokens=4)  # ensure_alive restarted it
    assert private_server.restarts == 1
    assert _health(private_server.base_url) == 200
    private_server._kill()
    with pytest.raises(LLMError, match="stopped again after a restart; giving up"):
        llm.complete(QUESTION, max_tokens=4)


def test_close_stops_and_next_use_starts_again(private_server: EmbeddedServer) -> None:
    url = private_server.base_url
    assert _health(url) == 200
    private_server.close()
    assert not private_server.started
    with pytest.raises(urllib.error.URLError):
        _health(url)
    assert _health(private_server.ensure_alive()) == 200
    assert private_server.restarts == 0  # a close is not a crash


def test_bad_model_settings_fail_before_starting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown model 'nope'"):
        make_llm(Settings(home=tmp_path, llm_model="nope"))
    with pytest.raises(ConfigError, match="does not exist"):
        make_llm(Settings(home=tmp_path, llm_model_path=tmp_path / "missing.gguf"))


def test_any_gguf_path_is_served_under_its_file_name(
    smol_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    gguf = tmp_path / "my-model.gguf"
    gguf.symlink_to(part_paths(CATALOG["smollm2-135m"])[0])
    server = EmbeddedServer(smol_settings(llm_model_path=gguf, llm_ctx=1024))
    try:
        llm = LLMClient(model=server.model_name, context_window=1024, server=server)
        assert llm.model == "my-model"
        assert llm.complete(QUESTION, max_tokens=4)
    finally:
        server.close()


def test_concurrent_first_use_starts_one_server(private_server: EmbeddedServer) -> None:
    urls: list[str] = []
    threads = [
        threading.Thread(target=lambda: urls.append(private_server.ensure_alive()))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(urls) == 4 and len(set(urls)) == 1
    assert private_server.restarts == 0
