"""UI fixtures: `fake_app` serves a scripted Rag (seconds); `tiny_app` a real Rag with the
135M model and the seed ingested (the real plumbing, weak answers)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ui_fakes import FakeRag
from ui_serving import clean_env, real_rag, serving

from rag.service import Rag
from rag.settings import Settings


@pytest.fixture(scope="module")
def fake_rag(tmp_path_factory: pytest.TempPathFactory) -> FakeRag:
    home = tmp_path_factory.mktemp("fake-home")
    return FakeRag(Settings(home=home, ui_max_upload_mb=0.01), delay=0.05)


@pytest.fixture(scope="module")
def fake_app(fake_rag: FakeRag) -> Iterator[str]:
    with serving(fake_rag) as url:
        yield url


@pytest.fixture(scope="module")
def tiny_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Rag]]:
    tmp = tmp_path_factory.mktemp("tiny-home")
    with clean_env(tmp):
        rag = real_rag(tmp / "home", llm_model="smollm2-135m")
        try:
            with serving(rag) as url:
                yield url, rag
        finally:
            rag.close()
