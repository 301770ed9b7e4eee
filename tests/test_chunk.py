import random
import re
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from qa.chunk import chunk_document, split_long_line
from qa.corpus import Document, decode, split_lines


def doc_of(text: str) -> Document:
    return Document("a.txt", tuple(split_lines(text)), "x")


def test_split_lines_counts_like_cat_n():
    assert split_lines("a\nb") == ["a", "b"]
    assert split_lines("a\nb\n") == ["a", "b"]
    assert split_lines("a\r\n\r\nb\r\n") == ["a", "", "b"]
    assert split_lines("") == []
    assert split_lines("\n") == [""]


def test_decode_bom_other_encodings_and_binary():
    assert decode(b"\xef\xbb\xbfhello") == ("hello", "utf-8")
    assert decode(b"\xef\xbb\xbfcaf\xe9 ok") == ("caf\ufffd ok", "utf-8")  # a BOM says UTF-8
    assert decode("café ok".encode()) == ("café ok", "utf-8")
    assert decode(b"caf\xe9 \x93ok\x94") == ("café “ok”", "cp1252")  # was U+FFFD, silently
    assert decode(b"caf\xe9 \x81") == ("café \x81", "latin-1")  # 0x81 is not cp1252
    assert decode(b"\x00\x01\x02") is None
    noise = bytes(b for b in random.Random(3).randbytes(20000) if b)  # binary without NUL
    assert decode(noise) is None
    assert decode(b"tabs\tand\fform feeds\r\n" * 50) is not None


def test_chunks_keep_line_numbers_and_skip_blank_lines():
    doc = doc_of("title\n\nfirst para\n\nsecond para\n")
    chunks = chunk_document(doc, size=12)
    assert [(c.start_line, c.end_line, c.text) for c in chunks] == [
        (1, 1, "title"),
        (3, 3, "first para"),
        (5, 5, "second para"),
    ]
    packed = chunk_document(doc, size=400)
    assert [(c.start_line, c.end_line) for c in packed] == [(1, 5)]
    assert packed[0].text == "title\n\nfirst para\n\nsecond para"


def test_long_line_is_split_into_pieces_of_that_line():
    line = " ".join(["word"] * 200)
    chunks = chunk_document(doc_of(f"short\n{line}\nend"), size=100)
    middle = [c for c in chunks if c.start_line == 2]
    assert len(middle) > 5
    assert all(c.end_line == 2 and c.text in line and len(c.text) <= 100 for c in middle)


def test_overlap_repeats_lines_and_terminates():
    doc = doc_of("\n".join(f"line {i:02d} xxxxxxxxxx" for i in range(10)))
    chunks = chunk_document(doc, size=60, overlap=1)
    starts = [c.start_line for c in chunks]
    assert starts == sorted(starts) and chunks[-1].end_line == 10
    assert any(a.end_line == b.start_line for a, b in zip(chunks, chunks[1:], strict=False))


texts = st.lists(
    st.one_of(
        st.just(""),
        st.just("   "),
        st.text(st.characters(blacklist_characters="\n\r", blacklist_categories=("Cs",))),
    ),
    max_size=30,
).map("\n".join)


@settings(max_examples=200, deadline=None)
@given(text=texts, size=st.integers(50, 300), overlap=st.integers(0, 3))
def test_chunks_reproduce_the_file_lines(text, size, overlap):
    doc = doc_of(text)
    chunks = chunk_document(doc, size=size, overlap=overlap)
    covered: dict[int, str] = {}
    for c in chunks:
        assert 1 <= c.start_line <= c.end_line <= len(doc.lines)
        window = "\n".join(doc.lines[c.start_line - 1 : c.end_line])
        assert c.text in window
        if c.start_line == c.end_line and len(doc.lines[c.start_line - 1]) > size:
            continue  # a piece of one long line
        assert c.text == window
        for n in range(c.start_line, c.end_line + 1):
            covered[n] = doc.lines[n - 1]
    long_lines = {
        c.start_line
        for c in chunks
        if c.text != doc.lines[c.start_line - 1] and c.start_line == c.end_line
    }
    for n in long_lines:  # the pieces of a long line give back all of its text, in order
        pieces = "".join(c.text for c in chunks if c.start_line == c.end_line == n)
        assert re.sub(r"\s", "", pieces) == re.sub(r"\s", "", doc.lines[n - 1])
        covered[n] = doc.lines[n - 1]
    # de-duplicated by overlap, the chunks give back every non-blank line exactly
    expected = {i + 1: line for i, line in enumerate(doc.lines) if line.strip()}
    assert {n: t for n, t in covered.items() if t.strip()} == expected
    assert [c.start_line for c in chunks] == sorted(c.start_line for c in chunks)


def _split_reference(line: str, size: int) -> list[str]:
    """The old (quadratic) splitter, kept as the meaning the fast one must match."""
    out, rest = [], line.strip()
    while len(rest) > size:
        cut = rest.rfind(" ", size // 2, size)
        cut = cut if cut > 0 else size
        out.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    return out + [rest] if rest else out


@settings(max_examples=300, deadline=None)
@given(line=st.text(st.sampled_from("ab \t")), size=st.integers(1, 40))
def test_split_long_line_matches_the_reference(line, size):
    assert list(split_long_line(line, size)) == _split_reference(line, size)


def test_a_twenty_megabyte_line_chunks_in_linear_time():
    # quadratic splitting took 172 s on a 20 MB line here; linear takes well under a second, so
    # a 30 s bound tells them apart with a wide margin even on a loaded machine
    line = "word " * (4 * 1024 * 1024) + "x" * 5000
    started = time.perf_counter()
    chunks = chunk_document(doc_of(line), size=400)
    elapsed = time.perf_counter() - started
    assert sum(len(c.text) for c in chunks) >= len(line.replace(" ", "")) - 1
    assert elapsed < 30.0, f"{elapsed:.2f}s"
