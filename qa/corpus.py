"""Read the articles under a corpus root into Documents that keep the original line numbering."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from qa.errors import InputError, SourceNotFoundError

log = logging.getLogger(__name__)

SUFFIXES = {".txt", ".md"}


@dataclass(frozen=True)
class Document:
    """One article: its path relative to the corpus root, its lines (1-based as `cat -n`)."""

    file: str
    lines: tuple[str, ...]
    sha256: str

    @property
    def title(self) -> str:
        """The first non-blank line."""
        return next((line.strip() for line in self.lines if line.strip()), self.file)


def split_lines(text: str) -> list[str]:
    """Split like `cat -n` counts: on \\n only, a trailing \\r dropped, no phantom last line."""
    if not text:
        return []
    parts = text.split("\n")
    if parts[-1] == "":
        parts.pop()
    return [p[:-1] if p.endswith("\r") else p for p in parts]


def decode(data: bytes) -> str | None:
    """Bytes to text: a BOM is dropped, bad UTF-8 bytes replaced; None when the bytes are binary."""
    if b"\x00" in data[:8192]:
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", errors="replace")


def read_document(root: Path, path: Path) -> Document | None:
    """Read one file; None (with a warning naming it) when it is not text."""
    data = path.read_bytes()
    text = decode(data)
    rel = path.relative_to(root).as_posix()
    if text is None:
        log.warning("skipping %s: not a text file", rel)
        return None
    return Document(rel, tuple(split_lines(text)), hashlib.sha256(data).hexdigest())


def list_files(root: Path) -> list[Path]:
    """The article files under root, sorted, never following links out of it."""
    if not root.is_dir():
        raise InputError(f"docs folder {str(root)!r} does not exist or is not a folder")
    real_root = root.resolve()
    files = []
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() not in SUFFIXES or not path.is_file():
            continue
        if not path.resolve().is_relative_to(real_root):
            log.warning("skipping %s: it points outside the docs folder", path)
            continue
        files.append(path)
    return files


def read_corpus(root: Path) -> list[Document]:
    """Every readable article under root."""
    docs = []
    for path in list_files(root):
        try:
            doc = read_document(root, path)
        except OSError as exc:
            log.warning("skipping %s: %s", path, exc.strerror or exc)
            continue
        if doc is not None:
            docs.append(doc)
    return docs


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
