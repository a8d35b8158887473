"""Serving defaults: local bind, login from RAG_UI_AUTH, no analytics, no web fonts."""

from __future__ import annotations

import os

import pytest
from ui_fakes import FakeRag

from rag.errors import ConfigError
from rag.settings import Settings
from rag.ui.server import build_app, is_loopback, launch_options, parse_auth


def test_defaults_bind_locally_without_login(settings: Settings) -> None:
    opts = launch_options(settings)
    assert opts["server_name"] == "127.0.0.1" and opts["server_port"] == 7860
    assert opts["auth"] is None and opts["share"] is False
    assert opts["max_file_size"] == int(settings.ui_max_upload_mb * 2**20)
    assert opts["allowed_paths"] == [str((settings.home / "summaries").resolve())]


def test_theme_uses_system_fonts_only(settings: Settings) -> None:
    import re

    theme = launch_options(settings)["theme"]
    assert theme._font_css == []  # no @font-face, so no font files to fetch
    urls = re.findall(r"url\(([^)]*)\)|@import", theme._get_theme_css())
    assert all(u.startswith('"data:') for u in urls), urls


def test_analytics_are_off(settings: Settings) -> None:
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
    assert build_app(FakeRag(settings)).analytics_enabled is False


def test_auth_parsing() -> None:
    assert parse_auth(None) is None and parse_auth("") is None
    assert parse_auth("ann:pa:ss") == ("ann", "pa:ss")
    for bad in ("ann", ":pw", "ann:"):
        with pytest.raises(ConfigError, match="user:password"):
            parse_auth(bad)


def test_auth_comes_from_settings(tmp_path) -> None:
    opts = launch_options(Settings(home=tmp_path, ui_auth="ann:secret", ui_host="0.0.0.0"))
    assert opts["auth"] == ("ann", "secret") and opts["server_name"] == "0.0.0.0"


@pytest.mark.parametrize(
    ("host", "local"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("0.0.0.0", False), ("h", False)],
)
def test_is_loopback(host: str, local: bool) -> None:
    assert is_loopback(host) is local


def test_rag_ui_auth_env_var_turns_on_login(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from rag.settings import load_settings

    monkeypatch.setenv("RAG_UI_AUTH", "ann:secret")
    assert launch_options(load_settings(home=tmp_path))["auth"] == ("ann", "secret")
