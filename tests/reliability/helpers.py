"""Shared pieces of the reliability tests: file builders, CLI runner, index agreement checks."""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "seeds" / "000_fa9b40200313cc7b.txt"
BIN = Path(sys.executable).parent
RAG_EXE = BIN / "rag"
HERE = Path(__file__).resolve().parent

WORDS = [
    "harbour",
    "granite",
    "quarry",
    "engineer",
    "storm",
    "pier",
    "market",
    "spring",
    "boat",
    "salt",
    "northern",
    "council",
    "river",
    "bridge",
    "mill",
    "lantern",
    "orchard",
    "valley",
    "station",
    "archive",
    "ledger",
    "copper",
    "tannery",
    "canal",
    "ferry",
    "meadow",
    "chapel",
    "foundry",
    "weaver",
    "cooper",
    "museum",
    "tramway",
    "lighthouse",
    "garrison",
]


def free_port() -> int:
    """A loopback port that was free a moment ago (closed again: nothing listens on it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- CLI ------------------------------------------------------------------------------------


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    """The process environment minus any RAG_* of the caller, pointed at `home`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update({"RAG_HOME": str(home), "RAG_CONFIG": str(home.parent / "no-rag.toml")})
    env.update(extra)
    return env


def run_rag(
    args: list[str], home: Path, *, timeout: float = 300, **extra_env: str
) -> subprocess.CompletedProcess[str]:
    """Run the installed `rag` command to completion."""
    return subprocess.run(
        [str(RAG_EXE), *args],
        env=cli_env(home, **extra_env),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


# --- good documents -------------------------------------------------------------------------


def prose(rnd: random.Random, paragraphs: int, words: int = 45, tag: str = "") -> str:
    """Paragraphs of made-up sentences; `tag` is woven in so each file has a unique word."""
    out = []
    for p in range(paragraphs):
        sentences = []
        for s in range(max(1, words // 9)):
            body = " ".join(rnd.choice(WORDS) for _ in range(8))
            sentences.append(f"{body.capitalize()} {tag}{p}x{s}.")
        out.append(" ".join(sentences))
    return "\n\n".join(out) + "\n"


def text_pdf(pages: list[str]) -> bytes:
    """A small valid PDF (Helvetica text, one page per entry) built by hand: no extra package."""
    objects: list[bytes] = []
    n_pages = len(pages)
    font_id = 3 + 2 * n_pages
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n_pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    for i, page in enumerate(pages):
        lines = [ln.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for ln in page]
        ops = "BT /F1 11 Tf 14 TL 50 760 Td " + " ".join(f"({ln}) Tj T*" for ln in lines) + " ET"
        stream = ops.encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode()
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{n} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def wrap_lines(text: str, width: int = 90) -> list[str]:
    """Text as PDF lines of at most `width` characters (paragraph breaks become blank lines)."""
    lines: list[str] = []
    for para in text.strip().split("\n\n"):
        line = ""
        for word in para.split():
            if len(line) + len(word) + 1 > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        lines.extend([line, ""])
    return lines


def docx_bytes(paragraphs: list[str], heading: str | None = None) -> bytes:
    """A real .docx made with python-docx."""
    import docx

    document = docx.Document()
    if heading:
        document.add_heading(heading, level=1)
    for p in paragraphs:
        document.add_paragraph(p)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def make_good_corpus(folder: Path, seed: int = 7) -> list[Path]:
    """One file of each supported format with real text, plus the seed article."""
    rnd = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    files = [folder / "seed.txt"]
    files[0].write_bytes(SEED.read_bytes())
    for i in range(3):
        p = folder / f"town_{i}.txt"
        p.write_text(prose(rnd, 4, tag=f"town{i}"), encoding="utf-8")
        files.append(p)
    md = folder / "notes.md"
    md.write_text("# Field notes\n\n" + prose(rnd, 3, tag="notes"), encoding="utf-8")
    html = folder / "page.html"
    body = "".join(f"<p>{para}</p>" for para in prose(rnd, 3, tag="page").split("\n\n"))
    html.write_text(f"<html><head><title>Page</title></head><body>{body}</body></html>")
    pdf = folder / "report.pdf"
    pdf.write_bytes(text_pdf([wrap_lines(prose(rnd, 2, tag=f"pdf{n}")) for n in range(2)]))
    doc = folder / "letter.docx"
    doc.write_bytes(docx_bytes(prose(rnd, 3, tag="letter").strip().split("\n\n"), "Letter"))
    return [*files, md, html, pdf, doc]


# --- hostile documents ----------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """What ingesting one hostile file must give: a status and, if failed, a reason pattern."""

    status: str  # "failed" | "added" | "either" (failed with a reason, or added)
    reason: str = ""  # regex the reason must match when failed
    contains: str = ""  # for "added": a word that must be searchable afterwards


LATIN = "Le café crème à Zürich: façade, naïve, Ångström; déjà vu über alles."
LONG_LINE_MB = 5


def make_hostile_files(folder: Path, long_line: str = "word") -> dict[str, Expect]:
    """Every kind of hostile file the issue names; returns name -> expected outcome.

    `long_line` shapes the 5 MB single-line file: "word" is one 5 MB word (the tokenizer's
    worst case, ~3,600 chunks, ~30 s), "padded" is short words in wide space padding (a
    fixed-width export: ~300 chunks, a few seconds).
    """
    folder.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(1234)
    ex: dict[str, Expect] = {}

    def put(name: str, data: bytes, expect: Expect) -> None:
        (folder / name).write_bytes(data)
        ex[name] = expect

    put("empty.txt", b"", Expect("failed", r"empty file"))
    put("blank.md", b"  \n\n\t \r\n", Expect("failed", r"empty file"))
    png = b"\x89PNG\r\n\x1a\n" + rnd.randbytes(4096)
    put("photo.txt", png, Expect("failed", r"binary.*PNG"))
    put("random.txt", rnd.randbytes(64 * 1024), Expect("failed", r"binary"))
    put("program.md", b"\x7fELF\x02\x01\x01" + rnd.randbytes(8192), Expect("failed", r"binary"))
    many_nuls = bytes(b if rnd.random() < 0.5 else 0 for b in b"abcdefgh" * 4096)
    put("nuls_many.txt", many_nuls, Expect("failed", r"binary"))
    few = b"Stray NUL\x00 bytes appear in the zeppelinword\x00 log.\x00\n" + b"More text.\n" * 20
    put("nuls_few.txt", few, Expect("added", contains="zeppelinword"))
    sentence = f"{LATIN} The quokkaword keeps its accents.\n"
    put("utf16le_bom.txt", b"\xff\xfe" + sentence.encode("utf-16-le"), Expect("added", "", "café"))
    put("utf16be_bom.md", b"\xfe\xff" + sentence.encode("utf-16-be"), Expect("added", "", "Zürich"))
    put("utf16le_nobom.txt", sentence.encode("utf-16-le"), Expect("added", "", "façade"))
    put("latin1.txt", sentence.encode("latin-1"), Expect("added", "", "naïve"))
    put("cp1252.txt", "“Smart” quotes – and € signs".encode("cp1252"), Expect("added", "", "€"))
    # 200 MB of zeros that take no disk: refused by size, from stat alone
    with open(folder / "huge.txt", "wb") as f:
        f.truncate(200 * 2**20)
    ex["huge.txt"] = Expect("failed", r"too large: 200\.0 MB.*RAG_MAX_FILE_MB")
    # one 5 MB line with no newline; a real word at its start so it can be found
    size = LONG_LINE_MB * 2**20
    if long_line == "word":
        line = b"longlinemarker " + b"a" * size
    else:
        line = b"longlinemarker " + (b"cell" + b" " * 996) * (size // 1000)
    put("longline.txt", line, Expect("added", contains="longlinemarker"))
    put(
        "garbage.pdf",
        b"%PDF-1.7\n1 0 obj <</Type /Catalog>> " + rnd.randbytes(2048),
        Expect("failed", r"PDF"),
    )
    good_pdf = text_pdf([["A perfectly good page that is cut short."] * 5] * 3)
    put("truncated.pdf", good_pdf[: len(good_pdf) // 2], Expect("either", r"PDF"))
    put("notreally.pdf", b"just text in a file named .pdf\n" * 10, Expect("failed", r"no %PDF"))
    put("locked.pdf", _encrypted_pdf("RC4-128"), Expect("failed", r"encrypted"))
    put("locked_aes.pdf", _encrypted_pdf("AES-256"), Expect("failed", r"encrypted"))
    put("pages2100.pdf", _blank_pdf(2100), Expect("failed", r"2100 pages.*limit"))
    put("bomb.docx", _zip_bomb(), Expect("failed", r"zip bomb"))
    put("notzip.docx", b"this is not a zip archive at all\n" * 20, Expect("failed", r"not a zip"))
    put(
        "olddoc.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2048), Expect("failed", r"\.doc")
    )
    put("emptyzip.docx", _zip({"hello.txt": b"hi"}), Expect("failed", r"not a valid \.docx"))
    deep = b"<html><body>" + b"<div>" * 50_000 + b"deepword" + b"</div>" * 50_000 + b"</body>"
    put("deep.html", deep, Expect("either", r"."))
    os.mkfifo(folder / "pipe.txt")  # must be skipped, not read (reading would block forever)
    return ex


def _encrypted_pdf(algorithm: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(text_pdf([["Secret text behind a password."]]))).pages:
        writer.add_page(page)
    writer.encrypt(user_password="hunter2", owner_password="owner", algorithm=algorithm)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _blank_pdf(count: int) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(count):
        writer.add_blank_page(width=200, height=200)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _zip_bomb(megabytes: int = 512) -> bytes:
    """A .docx-shaped zip whose document.xml inflates to `megabytes` (about 0.5 MB on disk)."""
    buf = io.BytesIO()
    block = b"<w:t>" + b"A" * (2**20 - 11) + b"</w:t>"
    ctypes = (
        b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'content-types"/>'
    )
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", ctypes)
        with zf.open("word/document.xml", "w", force_zip64=True) as member:
            for _ in range(megabytes):
                member.write(block)
    return buf.getvalue()


# --- index state ----------------------------------------------------------------------------


@dataclass
class CatalogState:
    """The record manager, chunk table and FTS rows of one catalogue, read from disk."""

    sources: dict[str, tuple[str, int]]  # source -> (sha256, chunks recorded)
    chunks: dict[str, str]  # chunk id -> source
    texts: dict[str, str]  # chunk id -> sha256 of its text
    fts_ids: set[str]  # chunk ids with a row in the FTS index
    rows_per_source: dict[str, int] = field(default_factory=dict)
    dirty: str | None = None
    fts_ok: bool = True

    def ids_of(self, source: str) -> set[str]:
        return {i for i, s in self.chunks.items() if s == source}


def read_catalog(index_dir: Path) -> CatalogState:
    """Read the catalogue (no writer may be running); FTS integrity is checked too."""
    db = sqlite3.connect(index_dir / "catalog.sqlite3", timeout=30)
    try:
        sources = {
            r[0]: (r[1], r[2]) for r in db.execute("SELECT source, sha256, chunks FROM sources")
        }
        chunks: dict[str, str] = {}
        texts: dict[str, str] = {}
        counts: dict[str, int] = {}
        for cid, src, text in db.execute("SELECT id, source, text FROM chunks"):
            chunks[cid] = src
            texts[cid] = hashlib.sha256(text.encode()).hexdigest()
            counts[src] = counts.get(src, 0) + 1
        fts = {
            r[0]
            for r in db.execute(
                "SELECT c.id FROM chunks c JOIN chunks_fts_docsize d ON d.id = c.rowid"
            )
        }
        fts_rows = db.execute("SELECT count(*) FROM chunks_fts_docsize").fetchone()[0]
        try:  # rank=1: also compare the index with the external content table
            db.execute("INSERT INTO chunks_fts(chunks_fts, rank) VALUES('integrity-check', 1)")
            fts_ok = fts_rows == len(fts)
        except sqlite3.DatabaseError:
            fts_ok = False
        row = db.execute("SELECT value FROM meta WHERE key='dirty'").fetchone()
    finally:
        db.close()
    return CatalogState(sources, chunks, texts, fts, counts, row[0] if row else None, fts_ok)


@dataclass
class VectorState:
    ids: list[str]
    texts: dict[str, str]
    count: int
    query_ids: list[str]
    model: str | None


def read_vectors(index_dir: Path, collection: str = "rag") -> VectorState:
    """What Chroma holds, read by a fresh process (no cache of this one in the way)."""
    out = subprocess.run(
        [sys.executable, str(HERE / "inspect_vectors.py"), str(index_dir), collection],
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("RAG_")},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return VectorState(**data)


def assert_agree(index_dir: Path) -> tuple[CatalogState, VectorState]:
    """Chroma ids == catalogue chunk ids == FTS rows, no duplicates, records match rows."""
    cat = read_catalog(index_dir)
    vec = read_vectors(index_dir)
    assert cat.dirty is None, "dirty flag left set after a completed write"
    assert cat.fts_ok, "FTS5 index disagrees with the chunk table"
    assert len(vec.ids) == len(set(vec.ids)) == vec.count, "duplicate vector ids"
    ids = set(cat.chunks)
    missing, orphans = ids - set(vec.ids), set(vec.ids) - ids
    assert not missing and not orphans, f"{len(missing)} missing, {len(orphans)} orphan vectors"
    assert cat.fts_ids == ids, "FTS rows differ from the chunk table"
    assert set(vec.query_ids) <= ids, "a dense query returned an id the catalogue does not know"
    bad_text = [i for i in ids if vec.texts[i] != cat.texts[i]]
    assert not bad_text, f"{len(bad_text)} vectors carry another text than their chunk"
    for src, (_sha, n) in cat.sources.items():
        assert cat.rows_per_source.get(src, 0) == n, f"record of {src} says {n} chunks"
    assert set(cat.rows_per_source) <= set(cat.sources), "chunks of a source with no record"
    return cat, vec
