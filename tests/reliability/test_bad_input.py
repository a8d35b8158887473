"""Bad questions and bad settings: a clear message naming the problem, never a traceback."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.errors import QuestionError, RagError
from rag.service import Rag
from rag.settings import Settings

from .helpers import SEED, run_rag


@pytest.fixture
def rag(settings: Settings) -> Iterator[Rag]:
    r = Rag(settings)
    yield r
    r.close()


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("", "the question is empty"),
        ("   \n\t  \r\n ", "the question is empty"),
        ("\x00\x01\x1b\x7f\u200b\u202e", "the question is empty"),
        ("?!? ... ---", "no words"),
        ("x" * 20_000, r"20,000 characters; the limit is 4,000 \(RAG_MAX_QUESTION_CHARS\)"),
    ],
    ids=["empty", "whitespace", "only-controls", "no-words", "20000-chars"],
)
def test_unusable_questions_are_refused_clearly(rag: Rag, question: str, message: str) -> None:
    """QuestionError names the problem, before any model, index or server is started."""
    with pytest.raises(QuestionError, match=message):
        rag.clean_question(question)
    with pytest.raises(QuestionError, match=message):
        rag.ask(question)
    assert rag._index is None and rag._llm is None and rag._embedder is None


def test_control_characters_are_stripped_and_the_question_still_works(
    rag: Rag, embedder: object, tmp_path: Path
) -> None:
    """NUL, ESC, BEL, zero-width and bidi controls go; the words stay and retrieval works."""
    question = "Where\x00 was the\x1b memo\u200brandum\x07 signed?\u202e\r\n"
    clean = rag.clean_question(question)
    assert clean == "Where was the memorandum signed?"
    assert all(ch.isprintable() for ch in clean)
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SEED, docs / "seed.txt")
    rag._embedder = embedder
    rag.ingest([docs])
    hits = rag.retrieve(question)
    assert hits and "Istanbul" in " ".join(h.chunk.text for h in hits)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, embedder: object) -> Iterator[Rag]:
    root = tmp_path_factory.mktemp("fuzz")
    (root / "docs").mkdir()
    shutil.copy(SEED, root / "docs" / "seed.txt")
    rag = Rag(Settings(home=root / "home"))
    rag._embedder = embedder
    rag.ingest([root / "docs"])
    yield rag
    rag.close()


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        st.text(max_size=200),
        st.text(st.sampled_from("\"*:^()-+ NEAR OR AND NOT {}[]\\'\x00\u202eé漢"), max_size=60),
    )
)
def test_any_question_is_retrieved_for_or_refused_clearly(seeded: Rag, question: str) -> None:
    """Arbitrary text (FTS5 syntax, quotes, controls, any script) never breaks retrieval."""
    try:
        hits = seeded.retrieve(question)
    except QuestionError:
        return
    assert all(h.chunk.id and h.chunk.text for h in hits)


def test_cli_question_errors_exit_2_without_traceback(tmp_path: Path) -> None:
    for question, message in [("", "the question is empty"), ("x" * 20_000, "RAG_MAX_QUESTION")]:
        out = run_rag(["ask", question], tmp_path / "home", timeout=60)
        assert out.returncode == 2, out.stderr
        assert out.stderr.startswith("error: ") and message in out.stderr
        assert "Traceback" not in out.stderr


ENV_CASES = [
    ({"RAG_TOP_K": "abc"}, "RAG_TOP_K", "valid integer"),
    ({"RAG_TOP_K": "0"}, "RAG_TOP_K", "greater than or equal to 1"),
    ({"RAG_MAX_FILE_MB": "-5"}, "RAG_MAX_FILE_MB", "greater than 0"),
    ({"RAG_LLM_BASE_URL": "ftp://example"}, "RAG_LLM_BASE_URL", "http"),
    ({"RAG_LLM_TEMPERATURE": "hot"}, "RAG_LLM_TEMPERATURE", "valid number"),
    ({"RAG_EMBED_BACKEND": "magic"}, "RAG_EMBED_BACKEND", "local"),
    ({"RAG_UI_PORT": "99999"}, "RAG_UI_PORT", "65535"),
    ({"RAG_STRICT": "perhaps"}, "RAG_STRICT", "boolean"),
    ({"RAG_INCLUDE": '["*.txt"'}, "RAG_INCLUDE", "JSON"),
]


@pytest.mark.parametrize(
    ("env", "key", "detail"),
    ENV_CASES,
    ids=[f"{k}={v}" for c in ENV_CASES for k, v in c[0].items()],
)
def test_bad_env_value_names_the_variable(
    tmp_path: Path, env: dict[str, str], key: str, detail: str
) -> None:
    """`rag config` (and any command) exits 2 with 'error: ... KEY ...', no traceback."""
    out = run_rag(["config"], tmp_path / "home", timeout=60, **env)
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert out.stderr.startswith("error: ") and key in out.stderr, out.stderr
    assert detail.lower() in out.stderr.lower(), out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.splitlines()) == 1
    assert "no-rag.toml" not in out.stderr, "blames a config file that does not exist"


def test_bad_chunk_overlap_names_it_on_ingest(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SEED, docs / "seed.txt")
    env = {"RAG_CHUNK_TOKENS": "100", "RAG_CHUNK_OVERLAP": "500"}
    out = run_rag(["ingest", str(docs)], tmp_path / "home", timeout=120, **env)
    assert out.returncode == 2 and "RAG_CHUNK_OVERLAP" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        ('top_k = "many"\n', "top_k (in "),
        ("top_k = 3\nbogus_key = 1\n", "bogus_key (in "),
        ("chunk_tokens = 2\n", "chunk_tokens (in "),
        ("top_k = [\n", "cannot read "),
        ("\x00\xff\xfe garbage", "cannot read "),
    ],
    ids=["wrong-type", "unknown-key", "out-of-range", "malformed", "binary"],
)
def test_bad_rag_toml_names_the_key_and_file(tmp_path: Path, toml: str, needle: str) -> None:
    home = tmp_path / "home"
    config = tmp_path / "rag.toml"
    config.write_bytes(toml.encode("latin-1"))
    out = run_rag(["config"], home, timeout=60, RAG_CONFIG=str(config))
    assert out.returncode == 2, out.stdout
    assert out.stderr.startswith("error: ") and needle in out.stderr, out.stderr
    assert "rag.toml" in out.stderr and "Traceback" not in out.stderr


def test_forget_with_an_empty_name_forgets_nothing(
    rag: Rag, embedder: object, tmp_path: Path
) -> None:
    """`rag forget "$UNSET_VAR"` must not delete the only indexed document (a partial match)."""
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SEED, docs / "seed.txt")
    rag._embedder = embedder
    rag.ingest([docs])
    for name in ("", "   "):
        with pytest.raises(RagError, match="empty"):
            rag.forget(name)
    assert len(rag.sources()) == 1


def test_glob_lists_accept_comma_separated_env(monkeypatch) -> None:
    """RAG_INCLUDE/RAG_EXCLUDE take a JSON list or plain comma-separated globs."""
    from rag.settings import load_settings

    monkeypatch.setenv("RAG_INCLUDE", "*.txt, *.md")
    monkeypatch.setenv("RAG_EXCLUDE", "drafts/")
    s = load_settings()
    assert s.include == ["*.txt", "*.md"] and s.exclude == ["drafts/"]
