from __future__ import annotations

import time

from rag.loaders.normalize import MAX_TITLE_CHARS, clean_title, normalize


def test_line_endings_become_newlines() -> None:
    assert normalize("a\r\nb\rc\nd")[0] == "a\nb\nc\nd"


def test_form_feed_and_unicode_separators_become_newlines() -> None:
    assert normalize("a\fb\u2028c\vd")[0] == "a\nb\nc\nd"


def test_nfc() -> None:
    text, _ = normalize("cafe\u0301")
    assert text == "caf\u00e9"
    assert len(text) == 4


def test_nul_bytes_removed_with_warning() -> None:
    assert normalize("ab\x00c\x00\x00d") == ("abcd", ["removed 3 NUL bytes"])
    assert normalize("a\x00b") == ("ab", ["removed 1 NUL byte"])


def test_other_controls_removed_but_tab_kept() -> None:
    text, warnings = normalize("a\x01b\tc\x1bd\x7fe")
    assert text == "ab\tcde"
    assert warnings == ["removed 3 control characters"]


def test_clean_text_has_no_warnings() -> None:
    assert normalize("plain\n\ntext") == ("plain\n\ntext", [])


def test_blank_line_runs_collapse_to_one() -> None:
    assert normalize("a\n\n\n\n\nb\n\nc\nd")[0] == "a\n\nb\n\nc\nd"


def test_whitespace_only_lines_count_as_blank() -> None:
    assert normalize("a\n  \n\t\n \nb")[0] == "a\n\nb"


def test_trailing_spaces_stripped_leading_kept() -> None:
    assert normalize("  indented  \nnext\t \n")[0] == "  indented\nnext"


def test_leading_bom_dropped() -> None:
    assert normalize("\ufeffhello")[0] == "hello"


def test_idempotent() -> None:
    once, _ = normalize("x\r\n\r\n\r\n\r\ny  \x00\u0065\u0301")
    assert normalize(once) == (once, [])


def test_five_megabyte_line_is_linear() -> None:
    line = "word " * (1024 * 1024) + "end"
    spaces = "a" + " " * (5 * 2**20) + "b"
    start = time.perf_counter()
    text, _ = normalize(line)
    spaced, _ = normalize(spaces)
    assert time.perf_counter() - start < 5
    assert text == line
    assert spaced == spaces


def test_clean_title() -> None:
    assert clean_title("  A\n  title\t here ", "stem") == "A title here"
    assert clean_title("   ", "stem") == "stem"
    assert clean_title(None, "stem") == "stem"
    long = clean_title("x" * 500, "stem")
    assert len(long) == MAX_TITLE_CHARS
    assert long.endswith("…")
