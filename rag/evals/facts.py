"""Fact files: YAML cases a correct answer is checked against by plain string matching.

Schema (see evals/facts/seed.yaml)::

    cases:
      - id: sign-place                 # unique within the file
        question: Where was it signed?
        facts: [[Istanbul], ["July 22, 2025", "/July\\s+22/"]]  # every item must appear;
                                       # an item lists alternatives; /x/ is a regex
        sources: ["000_fa9b40200313cc7b"]  # a cited passage's path must contain one
        answerable: true               # default; false means "refuse, cite nothing"
    summaries:                         # optional
      - source: "000_fa9b40200313cc7b"
        facts: [[parliament, Milli Majlis]]

Validation is strict about structure (a typo'd key would silently drop a check) and
lenient where the intent is unambiguous: a bare string fact is a one-alternative item,
a bare string `sources` is a one-element list, numbers and dates become strings.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import yaml

from rag.errors import RagError

CASE_KEYS = frozenset({"id", "question", "facts", "sources", "answerable"})
SUMMARY_KEYS = frozenset({"id", "source", "facts"})

Fact = tuple[str, ...]  # accepted alternatives; any one found satisfies the item
Fail = Callable[[str], NoReturn]


class FactFileError(RagError):
    """A fact file is malformed; the message names the file and the case."""

    def __init__(self, path: Path | str, where: str, reason: str) -> None:
        location = f"{path}: {where}" if where else str(path)
        super().__init__(f"{location}: {reason}")
        self.path = str(path)
        self.where = where
        self.reason = reason


@dataclass(frozen=True)
class Case:
    """One question with the facts a correct answer must contain."""

    id: str
    question: str
    facts: tuple[Fact, ...] = ()
    sources: tuple[str, ...] = ()
    answerable: bool = True
    file: str = ""


@dataclass(frozen=True)
class SummaryCase:
    """Facts a summary of `source` must mention."""

    id: str
    source: str
    facts: tuple[Fact, ...]
    file: str = ""


@dataclass(frozen=True)
class FactFile:
    path: Path
    cases: tuple[Case, ...] = ()
    summaries: tuple[SummaryCase, ...] = field(default=())


def is_regex(alternative: str) -> bool:
    """`/pattern/` marks a regex; anything else is a plain substring."""
    return len(alternative) >= 3 and alternative.startswith("/") and alternative.endswith("/")


def _scalar_text(value: Any) -> str | None:
    """YAML turns `2025` into int and `2025-07-22` into a date; both are meant as text."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, _dt.date):
        return value.isoformat()
    return None


def _parse_alternative(value: Any, fail: Fail) -> str:
    text = _scalar_text(value)
    if text is None:
        fail(f"fact alternative must be a string, got {type(value).__name__}: {value!r}")
    if not text.strip():
        fail("empty fact alternative (it would match every answer)")
    if text.strip() in ("/", "//"):
        fail(f"empty regex {text!r}")
    if is_regex(text):
        text = text.replace("\x08", r"\b")  # YAML reads "\b" in double quotes as backspace
        try:
            re.compile(text[1:-1])
        except re.error as exc:
            fail(f"bad regex {text!r}: {exc}")
    return text


def _parse_facts(value: Any, fail: Fail) -> tuple[Fact, ...]:
    if value is None:
        return ()
    if _scalar_text(value) is not None:  # `facts: Istanbul`
        value = [value]
    if not isinstance(value, list):
        fail(f"facts must be a list of lists of strings, got {type(value).__name__}")
    items: list[Fact] = []
    for i, item in enumerate(value, 1):
        if _scalar_text(item) is not None:  # `- Istanbul` as a one-alternative item
            item = [item]
        if not isinstance(item, list):
            fail(f"fact #{i} must be a string or a list of alternatives, got {item!r}")
        if not item:
            fail(f"fact #{i} is an empty list")
        items.append(tuple(_parse_alternative(alt, fail) for alt in item))
    return tuple(items)


def _parse_sources(value: Any, fail: Fail) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(s, str) and s.strip() for s in value):
        fail(f"sources must be a list of non-empty strings, got {value!r}")
    return tuple(s.strip() for s in value)


def _check_keys(raw: dict[str, Any], allowed: frozenset[str], fail: Fail) -> None:
    unknown = sorted(str(k) for k in raw if k not in allowed)
    if unknown:
        fail(f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")


def _parse_case(raw: Any, index: int, path: Path) -> Case:
    label = f"case #{index}"
    if isinstance(raw, dict) and _scalar_text(raw.get("id")):
        label = f"case {_scalar_text(raw['id'])!r}"

    def fail(reason: str) -> NoReturn:
        raise FactFileError(path, label, reason)

    if not isinstance(raw, dict):
        fail(f"must be a mapping with id and question, got {type(raw).__name__}")
    _check_keys(raw, CASE_KEYS, fail)
    case_id = _scalar_text(raw.get("id"))
    if not case_id or not case_id.strip():
        fail("missing id")
    question = raw.get("question")
    if not isinstance(question, str) or not question.strip():
        fail("missing question")
    answerable = raw.get("answerable", True)
    if not isinstance(answerable, bool):
        fail(f"answerable must be true or false, got {answerable!r}")
    facts = _parse_facts(raw.get("facts"), fail)
    if not answerable and facts:
        fail("an unanswerable case cannot list facts (the right answer is a refusal)")
    return Case(
        id=str(case_id).strip(),
        question=str(question).strip(),
        facts=facts,
        sources=_parse_sources(raw.get("sources"), fail),
        answerable=answerable,
        file=str(path),
    )


def _parse_summary(raw: Any, index: int, path: Path) -> SummaryCase:
    label = f"summary #{index}"

    def fail(reason: str) -> NoReturn:
        raise FactFileError(path, label, reason)

    if not isinstance(raw, dict):
        fail(f"must be a mapping with source and facts, got {type(raw).__name__}")
    _check_keys(raw, SUMMARY_KEYS, fail)
    source = raw.get("source")
    if not isinstance(source, str) or not source.strip():
        fail("missing source")
    label = f"summary of {source!r}"
    facts = _parse_facts(raw.get("facts"), fail)
    if not facts:
        fail("a summary entry needs at least one fact")
    summary_id = _scalar_text(raw.get("id")) or f"summary:{source.strip()}"
    return SummaryCase(id=summary_id, source=source.strip(), facts=facts, file=str(path))


def parse_fact_data(data: Any, path: Path) -> FactFile:
    """Validate already-parsed YAML; `path` is only used in error messages."""
    if isinstance(data, list):  # a bare list of cases is unambiguous
        data = {"cases": data}
    if not isinstance(data, dict):
        raise FactFileError(path, "", "top level must be a mapping with `cases:`")
    unknown = sorted(str(k) for k in data if k not in ("cases", "summaries"))
    if unknown:
        raise FactFileError(
            path, "", f"unknown top-level key(s) {', '.join(unknown)}; allowed: cases, summaries"
        )
    raw_cases = data.get("cases") or []
    raw_summaries = data.get("summaries") or []
    if not isinstance(raw_cases, list):
        raise FactFileError(path, "", "`cases` must be a list")
    if not isinstance(raw_summaries, list):
        raise FactFileError(path, "", "`summaries` must be a list")
    if not raw_cases and not raw_summaries:
        raise FactFileError(path, "", "no cases and no summaries")

    cases = tuple(_parse_case(raw, i, path) for i, raw in enumerate(raw_cases, 1))
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise FactFileError(path, f"case {case.id!r}", "duplicate id")
        seen.add(case.id)
    summaries = tuple(_parse_summary(raw, i, path) for i, raw in enumerate(raw_summaries, 1))
    return FactFile(path=path, cases=cases, summaries=summaries)


def load_fact_file(path: Path) -> FactFile:
    """Read and validate one fact file; every problem is a FactFileError naming the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FactFileError(path, "", f"cannot read: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        data = _retry_with_literal_backslashes(text, exc)
        if data is None:
            hint = ""
            if "escape" in str(exc):
                hint = " (write regexes with backslashes in 'single quotes')"
            raise FactFileError(path, "", f"invalid YAML: {exc}{hint}") from None
    return parse_fact_data(data, path)


# escapes YAML allows inside "double quotes"; any other backslash is a YAML error
_YAML_ESCAPES = set('0abt\tnvfre "/\\N_LPxuU')
_DOUBLE_QUOTED = re.compile(r'"(?:[^"\\\n]|\\.)*"')


def _retry_with_literal_backslashes(text: str, exc: yaml.YAMLError) -> Any:
    r"""Parse `"/July\s+22/"` as the author meant: a regex with a literal backslash.

    YAML rejects unknown escapes like \s in double quotes; doubling exactly those
    backslashes is unambiguous. Returns None if that does not make the file parse.
    """
    if "unknown escape" not in str(exc):
        return None

    def double_unknown(escape: re.Match[str]) -> str:
        char = escape.group(1)
        return escape.group(0) if char in _YAML_ESCAPES else "\\\\" + char

    def fix(scalar: re.Match[str]) -> str:
        return re.sub(r"\\(.)", double_unknown, scalar.group(0))

    try:
        return yaml.safe_load(_DOUBLE_QUOTED.sub(fix, text))
    except yaml.YAMLError:
        return None


def load_fact_files(paths: list[Path]) -> list[FactFile]:
    """Load several files; a directory stands for its *.yaml / *.yml files, sorted."""
    files: list[FactFile] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
            if not found:
                raise FactFileError(path, "", "no *.yaml fact files in this directory")
            files.extend(load_fact_file(p) for p in found)
        else:
            files.append(load_fact_file(path))
    return files
