"""Fact-file loading: the documented example loads; each malformed kind names file and case."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.evals.facts import Case, FactFileError, load_fact_file, load_fact_files

EXAMPLE = r"""
cases:
  - id: sign-place            # unique
    question: Where and when was the memorandum signed?
    facts:                    # every item must appear in the answer;
      - [Istanbul]            # an item lists accepted alternatives,
      - ["July 22, 2025", "22 July 2025"]   # case-insensitive substrings,
                              # or a regex written /like this/
    sources: ["000_fa9b40200313cc7b"]  # a cited passage must come from a
                              # source whose path contains one of these
  - id: no-budget
    question: How much was budgeted for the exercises?
    answerable: false         # the right answer is a refusal citing nothing
summaries:                    # optional
  - source: "000_fa9b40200313cc7b"
    facts: [[parliament, Milli Majlis], [Türkiye, Turkey]]
"""


def write(tmp_path: Path, text: str, name: str = "facts.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_documented_example_loads(tmp_path: Path) -> None:
    ff = load_fact_file(write(tmp_path, EXAMPLE))
    first, second = ff.cases
    assert first == Case(
        id="sign-place",
        question="Where and when was the memorandum signed?",
        facts=(("Istanbul",), ("July 22, 2025", "22 July 2025")),
        sources=("000_fa9b40200313cc7b",),
        answerable=True,
        file=str(tmp_path / "facts.yaml"),
    )
    assert second.answerable is False and second.facts == () and second.sources == ()
    (summary,) = ff.summaries
    assert summary.source == "000_fa9b40200313cc7b"
    assert summary.facts == (("parliament", "Milli Majlis"), ("Türkiye", "Turkey"))
    assert summary.id == "summary:000_fa9b40200313cc7b"


def test_lenient_forms(tmp_path: Path) -> None:
    text = r"""
cases:
  - id: 7
    question: q?
    facts: [Istanbul, [2025, "/July\s+22/"], 2025-07-22]
    sources: "000_fa9b"
  - id: bare
    question: q2?
    facts: Baku
"""
    c1, c2 = load_fact_file(write(tmp_path, text)).cases
    assert c1.id == "7"
    assert c1.facts == (("Istanbul",), ("2025", r"/July\s+22/"), ("2025-07-22",))
    assert c1.sources == ("000_fa9b",)
    assert c2.facts == (("Baku",),)


def test_double_quoted_regex_backslashes_mean_what_the_author_meant(tmp_path: Path) -> None:
    """YAML rejects "\\s" and turns "\\b" into a backspace; both are read as regex escapes."""
    text = r"""
cases:
  - id: a
    question: q
    facts: [["July 22, 2025", "22 July 2025", "/July\s+22/"], ["/\bOTS\b/"], ["a\\b"]]
"""
    (case,) = load_fact_file(write(tmp_path, text)).cases
    assert case.facts == (
        ("July 22, 2025", "22 July 2025", r"/July\s+22/"),
        (r"/\bOTS\b/",),
        ("a\\b",),
    )


def test_bare_list_of_cases(tmp_path: Path) -> None:
    ff = load_fact_file(write(tmp_path, "- {id: a, question: q}\n"))
    assert [c.id for c in ff.cases] == ["a"]


@pytest.mark.parametrize(
    ("body", "where", "reason"),
    [
        ("cases:\n  - {id: a, question: q}\n  - {id: a, question: r}\n", "case 'a'", "duplicate"),
        ("cases:\n  - {id: a}\n", "case 'a'", "missing question"),
        ("cases:\n  - {id: a, question: '  '}\n", "case 'a'", "missing question"),
        ("cases:\n  - {question: q}\n", "case #1", "missing id"),
        ("cases:\n  - {id: a, question: q, facts: ['/(unclosed/']}\n", "case 'a'", "bad regex"),
        ("cases:\n  - {id: a, question: q, facts: [[]]}\n", "case 'a'", "empty list"),
        ("cases:\n  - {id: a, question: q, facts: [['']]}\n", "case 'a'", "empty fact"),
        ("cases:\n  - {id: a, question: q, facts: {x: 1}}\n", "case 'a'", "list of lists"),
        ("cases:\n  - {id: a, question: q, facts: [[{x: 1}]]}\n", "case 'a'", "must be a string"),
        ("cases:\n  - {id: a, question: q, facts: [[null]]}\n", "case 'a'", "must be a string"),
        ("cases:\n  - {id: a, question: q, fact: [[x]]}\n", "case 'a'", "unknown key(s) fact"),
        ("cases:\n  - {id: a, question: q, answerable: maybe}\n", "case 'a'", "true or false"),
        (
            "cases:\n  - {id: a, question: q, answerable: false, facts: [x]}\n",
            "case 'a'",
            "unanswerable",
        ),
        ("cases:\n  - {id: a, question: q, sources: [1]}\n", "case 'a'", "sources must"),
        ("cases:\n  - just a string\n", "case #1", "mapping"),
        ("summaries:\n  - {facts: [x]}\n", "summary #1", "missing source"),
        ("summaries:\n  - {source: s}\n", "summary of 's'", "at least one fact"),
        ("cases: {id: a}\n", "", "must be a list"),
        ("case:\n  - {id: a, question: q}\n", "", "unknown top-level"),
        ("just text\n", "", "top level"),
        ("", "", "top level"),
        ("cases: []\n", "", "no cases"),
        ("cases: [\n", "", "invalid YAML"),
    ],
)
def test_invalid_files_name_file_and_case(
    tmp_path: Path, body: str, where: str, reason: str
) -> None:
    path = write(tmp_path, body, "bad.yaml")
    with pytest.raises(FactFileError) as info:
        load_fact_file(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert where in message
    assert reason in message


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(FactFileError, match="cannot read"):
        load_fact_file(tmp_path / "missing.yaml")


def test_directory_expands_to_yaml_files(tmp_path: Path) -> None:
    write(tmp_path, "cases: [{id: a, question: q}]\n", "b.yaml")
    write(tmp_path, "cases: [{id: a, question: q}]\n", "a.yml")
    files = load_fact_files([tmp_path])
    assert [f.path.name for f in files] == ["a.yml", "b.yaml"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(FactFileError, match="no \\*.yaml"):
        load_fact_files([tmp_path / "empty"])
