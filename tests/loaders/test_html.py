"""Real .html files through load_file."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.errors import LoadError
from rag.loaders import load_file

PAGE = """<!DOCTYPE html>
<html>
<head>
  <title>  Quarterly   Report &amp; Notes </title>
  <style>body { color: red; }</style>
  <script>var secret = "SCRIPT_TEXT";</script>
</head>
<body>
  <!-- COMMENT_TEXT -->
  <noscript>NOSCRIPT_TEXT</noscript>
  <template><p>TEMPLATE_TEXT</p></template>
  <h1>Results</h1>
  <p>Revenue rose 5&nbsp;% &mdash; caf&eacute; &lt;sales&gt; &#8364;3
     across   regions.</p>
  <p>Second <b>bold</b> <a href="#">link</a> paragraph.<br>After a break.</p>
  <div>Div one</div><div>Div two</div>
  <ul><li>first item</li><li>second item</li></ul>
  <table>
    <tr><th>Region</th><th>Sales</th></tr>
    <tr><td> North </td><td>10</td></tr>
  </table>
  <pre>  keep
    indentation</pre>
  <script>document.write("SCRIPT_TWO")</script>
</body>
</html>
"""

EXPECTED = (
    "Results\n\n"
    "Revenue rose 5\u00a0% — café <sales> €3 across regions.\n\n"
    "Second bold link paragraph.\nAfter a break.\n\n"
    "Div one\nDiv two\n\n"
    "first item\nsecond item\n\n"
    "Region | Sales\nNorth | 10\n\n"
    "  keep\n    indentation"
)


def write(path: Path, text: str | bytes) -> Path:
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_visible_text_exactly(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path / "report.html", PAGE))
    assert doc.text == EXPECTED
    assert doc.format == "html"
    assert doc.title == "Quarterly Report & Notes"
    assert doc.warnings == ()


def test_no_hidden_content_leaks(tmp_path: Path) -> None:
    text = load_file(write(tmp_path / "report.htm", PAGE)).text
    for hidden in ("SCRIPT", "COMMENT", "NOSCRIPT", "TEMPLATE", "color: red", "DOCTYPE"):
        assert hidden not in text


def test_title_falls_back_to_h1_then_stem(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path / "a.html", "<body><p>x</p><h1>First <i>H1</i></h1></body>"))
    assert doc.title == "First H1"
    doc = load_file(write(tmp_path / "plain-page.html", "<p>just text</p>"))
    assert doc.title == "plain-page"


def test_meta_charset_is_honoured(tmp_path: Path) -> None:
    data = b'<html><head><meta charset="windows-1252"></head><body><p>\x93Hi\x94 caf\xe9</p>'
    doc = load_file(write(tmp_path / "w.html", data))
    assert doc.text == "“Hi” café"
    assert doc.warnings == ()


def test_http_equiv_charset(tmp_path: Path) -> None:
    data = (
        b'<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-15">'
        b"<p>Pr\xe9sident \xa4</p>"
    )
    assert load_file(write(tmp_path / "e.html", data)).text == "Président €"


def test_undeclared_cp1252_html(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path / "old.html", b"<p>caf\xe9</p>"))
    assert doc.text == "café"
    assert doc.warnings == ("decoded as cp1252 after UTF-8 failed",)


def test_utf16_html_with_bom(tmp_path: Path) -> None:
    data = "\ufeff<html><body><p>Ünïcode</p></body></html>".encode("utf-16-le")
    assert load_file(write(tmp_path / "u.html", data)).text == "Ünïcode"


def test_no_visible_text(tmp_path: Path) -> None:
    page = "<html><head><title>Only a title</title><script>x()</script></head><body> </body>"
    with pytest.raises(LoadError) as err:
        load_file(write(tmp_path / "blank.html", page))
    assert err.value.reason == "no text (the HTML has no visible text)"


def test_binary_named_html(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="looks like a binary file, not text"):
        load_file(write(tmp_path / "x.html", b"GIF89a" + bytes(300)))


def test_deep_nesting_does_not_recurse(tmp_path: Path) -> None:
    page = "<div>" * 5000 + "deep text" + "</div>" * 5000
    assert load_file(write(tmp_path / "deep.html", page)).text == "deep text"


def test_inline_elements_do_not_split_words(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path / "i.html", "<p>un<b>break</b>able <span>words</span></p>"))
    assert doc.text == "unbreakable words"
