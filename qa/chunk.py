"""Cut a Document into Chunks that know their file and their first and last line."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from pydantic import BaseModel

from qa.corpus import Document


class Chunk(BaseModel):
    """A run of lines of one file (or a piece of one very long line)."""

    id: str
    file: str
    start_line: int
    end_line: int
    text: str


def _make(doc: Document, start: int, end: int, text: str) -> Chunk:
    key = f"{doc.file}:{start}-{end}:{text}"
    return Chunk(
        id=hashlib.sha1(key.encode()).hexdigest()[:12],
        file=doc.file,
        start_line=start,
        end_line=end,
        text=text,
    )


def split_long_line(line: str, size: int) -> Iterator[str]:
    """Pieces of at most `size` characters, cut at a space where one is near."""
    # positions into the one string, never copies of the rest: linear in the line's length
    pos, end = 0, len(line)
    while pos < end and line[pos].isspace():
        pos += 1
    while end > pos and line[end - 1].isspace():
        end -= 1
    while end - pos > size:
        cut = line.rfind(" ", pos + size // 2, pos + size)
        cut = cut if cut > pos else pos + size
        yield line[pos:cut].rstrip()
        pos = cut
        while pos < end and line[pos].isspace():
            pos += 1
    if pos < end:
        yield line[pos:end]


def chunk_document(doc: Document, size: int = 400, overlap: int = 0) -> list[Chunk]:
    """Pack consecutive non-blank lines into chunks of at most `size` characters.

    A chunk's text is exactly lines start..end of the file joined by newlines; a line longer than
    `size` becomes several chunks that each hold a piece of it and name that one line.
    """
    chunks: list[Chunk] = []
    numbered = [(i + 1, line) for i, line in enumerate(doc.lines) if line.strip()]
    i = 0
    while i < len(numbered):
        number, line = numbered[i]
        if len(line) > size:
            chunks.extend(
                _make(doc, number, number, piece) for piece in split_long_line(line, size)
            )
            i += 1
            continue
        j, length = i, 0
        while j < len(numbered) and len(numbered[j][1]) <= size:
            length += len(numbered[j][1]) + 1
            if length > size + 1 and j > i:
                break
            j += 1
        start, end = numbered[i][0], numbered[j - 1][0]
        chunks.append(_make(doc, start, end, "\n".join(doc.lines[start - 1 : end])))
        if j >= len(numbered):
            break
        # step back `overlap` lines, but always move forward
        i = max(i + 1, j - overlap)
    return chunks
