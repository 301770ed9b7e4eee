"""Read the articles under a corpus root into Documents; every other article file is Skipped
with a one-line reason, so one odd file never ends a run."""

from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from qa.errors import InputError, SourceNotFoundError

log = logging.getLogger(__name__)

SUFFIXES = {".txt", ".md"}
BOM = b"\xef\xbb\xbf"
# control characters other than tab, newline, carriage return, form feed, vertical tab; and U+FFFD
ODD = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")
ODD_SHARE = 0.05  # text has next to none of them; bytes read as latin-1 have about a quarter
ODD_MIN = 16  # a short text with a stray bad byte is still text


@dataclass(frozen=True)
class Document:
    """One article: its path relative to the corpus root, its lines (1-based as `cat -n`)."""

    file: str
    lines: tuple[str, ...]
    sha256: str
    size: int = 0
    mtime_ns: int = 0
    encoding: str = "utf-8"

    @property
    def title(self) -> str:
        """The first non-blank line."""
        return next((line.strip() for line in self.lines if line.strip()), self.file)


@dataclass(frozen=True)
class Skipped:
    """An article file that is not indexed, and why."""

    file: str
    reason: str
    size: int = 0
    mtime_ns: int = 0


@dataclass
class Corpus:
    """What a read of the corpus root found."""

    documents: list[Document] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def split_lines(text: str) -> list[str]:
    """Split like `cat -n` counts: on \\n only, a trailing \\r dropped, no phantom last line."""
    if not text:
        return []
    parts = text.split("\n")
    if parts[-1] == "":
        parts.pop()
    return [p[:-1] if p.endswith("\r") else p for p in parts]


def decode(data: bytes) -> tuple[str, str] | None:
    """Bytes to (text, encoding): UTF-8 (after a BOM, bad bytes replaced), else cp1252, else
    latin-1; None when the bytes are binary (NUL, or many control or replacement characters)."""
    if data.startswith(BOM):
        text, encoding = data[3:].decode("utf-8", errors="replace"), "utf-8"
    else:
        for encoding in ("utf-8", "cp1252", "latin-1"):  # latin-1 decodes any bytes
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    sample = text[:65536]
    odd = len(ODD.findall(sample))
    if "\x00" in sample or odd > max(ODD_MIN, ODD_SHARE * len(sample)):
        return None
    return text, encoding


def decode_line(data: bytes, encoding: str, first: bool = False) -> str:
    """One line's bytes as read_corpus decoded them (the first line's BOM and a trailing \\r
    dropped)."""
    data = data.removeprefix(BOM) if first else data
    data = data.removesuffix(b"\n").removesuffix(b"\r")
    return data.decode(encoding, errors="replace")


def name_of(root: Path, path: Path) -> str:
    """The path relative to root, printable even when the file name is not valid UTF-8."""
    rel = path.relative_to(root).as_posix()
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def read_file(root: Path, path: Path, max_bytes: int) -> Document | Skipped:
    """One article file, read and decoded, or the reason it is skipped."""
    rel = name_of(root, path)
    try:
        link = os.lstat(path)  # a skipped file is recorded by its own size and time
    except OSError as exc:
        return Skipped(rel, f"cannot be read: {exc.strerror or exc}")

    def skip(reason: str) -> Skipped:
        return Skipped(rel, reason, link.st_size, link.st_mtime_ns)

    if rel != path.relative_to(root).as_posix():
        return skip("the file name is not valid UTF-8: rename it")
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return skip("a link that leads nowhere")
    if not real.is_relative_to(root.resolve()):
        return skip("a link to outside the docs folder")
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            if st.st_size > max_bytes:
                return skip(f"{st.st_size} bytes, over QA_MAX_FILE_BYTES ({max_bytes})")
            data = fh.read()
    except OSError as exc:
        return skip(f"cannot be read: {exc.strerror or exc}")
    decoded = decode(data)
    if decoded is None:
        return skip("binary content, not text")
    text, encoding = decoded
    digest = hashlib.sha256(data).hexdigest()
    return Document(rel, tuple(split_lines(text)), digest, len(data), st.st_mtime_ns, encoding)


def read_document(root: Path, path: Path) -> Document | None:
    """Read one file; None (with a warning naming it) when it is skipped."""
    result = read_file(root, path, max_bytes=1 << 62)
    if isinstance(result, Skipped):
        log.warning("skipping %s: %s", result.file, result.reason)
        return None
    return result


def list_files(root: Path) -> list[Path]:
    """The article files (by suffix) under root, sorted; links are judged when read."""
    if not root.is_dir():
        raise InputError(f"docs folder {str(root)!r} does not exist or is not a folder")
    return [
        p
        for p in sorted(root.rglob("*"))
        if p.suffix.lower() in SUFFIXES and (p.is_symlink() or p.is_file())
    ]


def read_corpus(root: Path, max_bytes: int = 1 << 62) -> Corpus:
    """Every article under root, read; the rest skipped with a reason."""
    corpus = Corpus()
    for path in list_files(root):
        result = read_file(root, path, max_bytes)
        if isinstance(result, Skipped):
            corpus.skipped.append(result)
        else:
            corpus.documents.append(result)
    return corpus


def resolve_source(root: Path, file: str) -> Path:
    """The path of a corpus file named by a client, refusing anything outside the corpus."""
    if not file or "\\" in file or file.startswith("/") or ".." in Path(file).parts:
        raise SourceNotFoundError(f"no such article: {file!r}")
    real_root = root.resolve()
    path = (root / file).resolve()
    if (
        not path.is_relative_to(real_root)
        or not path.is_file()
        or path.suffix.lower() not in SUFFIXES
    ):
        raise SourceNotFoundError(f"no such article: {file!r}")
    return path
