from pathlib import Path

import pytest

from rag.errors import ConfigError
from rag.settings import load_settings


def test_defaults_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    s = load_settings()
    assert s.home == Path(".rag") and s.chroma_url is None
    monkeypatch.setenv("RAG_HOME", "/tmp/x")
    monkeypatch.setenv("RAG_TOP_K", "9")
    s = load_settings()
    assert s.home == Path("/tmp/x") and s.top_k == 9


def test_toml_file_and_env_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "rag.toml"
    cfg.write_text('top_k = 4\nllm_base_url = "http://127.0.0.1:9/v1"\n')
    monkeypatch.setenv("RAG_CONFIG", str(cfg))
    s = load_settings()
    assert s.top_k == 4 and s.llm_base_url == "http://127.0.0.1:9/v1"
    monkeypatch.setenv("RAG_TOP_K", "7")
    assert load_settings().top_k == 7


def test_bad_env_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_TOP_K", "many")
    with pytest.raises(ConfigError, match="RAG_TOP_K"):
        load_settings()


def test_bad_toml_key_and_syntax_are_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "rag.toml"
    monkeypatch.setenv("RAG_CONFIG", str(cfg))
    cfg.write_text("chunk_tokens = -5\n")
    with pytest.raises(ConfigError, match="chunk_tokens"):
        load_settings()
    cfg.write_text("no_such_key = 1\n")
    with pytest.raises(ConfigError, match="no_such_key"):
        load_settings()
    cfg.write_text("top_k = [unclosed\n")
    with pytest.raises(ConfigError, match="rag.toml"):
        load_settings()


def test_masked_hides_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_LLM_API_KEY", "sk-secret-123")
    shown = load_settings().masked()
    assert shown["llm_api_key"] == "****"
    assert "sk-secret-123" not in repr(shown)
