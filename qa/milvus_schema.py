"""How qa lays a corpus out in Milvus: connection, collection schemas, and row shapes.

Each build is a pair of collections, `<alias>_c_<gen>` and `<alias>_l_<gen>`:

    chunks  id, file, start_line, end_line, text (BM25 function -> sparse), dense
    lines   every line of every file (pieces of at most LINE_PIECE characters), the source of
            quotes; row `number == 0` of a file records its sha256 and line count and is written
            after all of the file's rows; row id "manifest" holds the manifest
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

from qa.corpus import Document
from qa.errors import ModelUnavailableError
from qa.settings import Settings

LINE_PIECE = 8000  # characters per line row: Milvus VARCHAR holds 65,535 bytes
FLAT_BELOW = 1_000_000  # chunks (estimated); past it the dense field gets an HNSW index
HNSW = {"M": 32, "efConstruction": 200}
EF_SEARCH = 128
BM25 = {"bm25_k1": 1.5, "bm25_b": 0.75}  # bm25s's defaults, which the local store uses


def analyzer() -> dict:
    """Milvus's standard tokenizer made to cut words as the local store's bm25s does: its
    English stop words, and no one-character words (bm25s keeps only \\w\\w+)."""
    from bm25s.stopwords import STOPWORDS_EN

    single = [chr(c) for c in range(ord("a"), ord("z") + 1)] + list("0123456789_")
    stop = {"type": "stop", "stop_words": sorted(set(STOPWORDS_EN) | set(single))}
    return {"tokenizer": "standard", "filter": ["lowercase", stop]}


def connect(where: str):
    """A MilvusClient for a Lite file path or a milvus://host:port (http://…) URI."""
    from pymilvus import MilvusClient

    if where.startswith("milvus://"):
        uri = "http://" + where[len("milvus://") :]
    elif where.startswith(("http://", "https://", "tcp://")):
        uri = where
    else:
        path = Path(where).expanduser().resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        uri = str(path)
        # Milvus Lite's in-process server logs a traceback for each RPC it lacks (AllocTimestamp,
        # asked for after create_index) although pymilvus carries on without it
        logging.getLogger("grpc._server").setLevel(logging.CRITICAL)
    try:
        return MilvusClient(uri=uri)
    except Exception as exc:  # pymilvus raises several types for "cannot reach or open"
        raise ModelUnavailableError(f"cannot open Milvus at {where!r}: {exc!r}") from exc


def is_server(where: str) -> bool:
    """True for a Milvus server URI, False for a Lite file path."""
    return where.startswith(("milvus://", "http://", "https://", "tcp://"))


def release(where: str) -> None:
    """Stop the in-process Milvus Lite server of a file, freeing its lock for other processes
    (closing the client leaves it running); nothing for a server."""
    if is_server(where):
        return
    from milvus_lite.server_manager import server_manager_instance

    server_manager_instance.release_server(str(Path(where).expanduser().resolve()))


def alias_for(settings: Settings) -> str:
    """The collection alias of a corpus: its folder name and a hash of its path."""
    docs = settings.docs.resolve()
    name = re.sub(r"\W", "_", docs.name)[:24] or "docs"
    return f"qa_{name}_{hashlib.sha256(str(docs).encode()).hexdigest()[:8]}"


def lit(value: str | list[str]) -> str:
    """A Milvus expression literal (Milvus Lite takes no filter_params templates)."""
    return json.dumps(value, ensure_ascii=False)


def file_key(file: str) -> str:
    """A short fixed-length key of a corpus path, the start of its line rows' ids."""
    return hashlib.sha1(file.encode()).hexdigest()[:16]


def schemas(client, dim: int, flat: bool):
    """(schema, index params) of the chunks and of the lines collection."""
    from pymilvus import DataType, Function, FunctionType

    chunks = client.create_schema(auto_id=False)
    chunks.add_field("id", DataType.VARCHAR, is_primary=True, max_length=64)
    chunks.add_field("file", DataType.VARCHAR, max_length=4096)
    chunks.add_field("start_line", DataType.INT64)
    chunks.add_field("end_line", DataType.INT64)
    chunks.add_field(
        "text", DataType.VARCHAR, max_length=65535, enable_analyzer=True, analyzer_params=analyzer()
    )
    chunks.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    chunks.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
    chunks.add_function(
        Function(
            name="bm25",
            function_type=FunctionType.BM25,
            input_field_names=["text"],
            output_field_names=["sparse"],
        )
    )
    chunk_index = client.prepare_index_params()
    if flat:
        chunk_index.add_index("dense", index_type="FLAT", metric_type="IP")
    else:
        chunk_index.add_index("dense", index_type="HNSW", metric_type="IP", params=HNSW)
    chunk_index.add_index(
        "sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params=BM25
    )
    lines = client.create_schema(auto_id=False)
    lines.add_field("id", DataType.VARCHAR, is_primary=True, max_length=64)
    lines.add_field("file", DataType.VARCHAR, max_length=4096)
    lines.add_field("number", DataType.INT64)
    lines.add_field("part", DataType.INT64)
    lines.add_field("text", DataType.VARCHAR, max_length=65535)
    lines.add_field("v", DataType.FLOAT_VECTOR, dim=2)  # Milvus wants a vector in every collection
    line_index = client.prepare_index_params()
    line_index.add_index("v", index_type="FLAT", metric_type="L2")
    return (chunks, chunk_index), (lines, line_index)


def line_rows(doc: Document) -> Iterator[dict]:
    """Every line of a document as rows, a long line in pieces."""
    key = file_key(doc.file)
    for n, line in enumerate(doc.lines, start=1):
        pieces = [line[i : i + LINE_PIECE] for i in range(0, len(line), LINE_PIECE)] or [""]
        for p, piece in enumerate(pieces):
            yield {"id": f"{key}:{n}:{p}", "file": doc.file, "number": n, "part": p,
                   "text": piece, "v": [0.0, 0.0]}  # fmt: skip


def record(doc: Document) -> dict:
    """The row that marks a file complete: its sha256 and line count."""
    return {"id": f"{file_key(doc.file)}:0:0", "file": doc.file, "number": 0, "part": 0,
            "text": f"{doc.sha256} {len(doc.lines)}", "v": [0.0, 0.0]}  # fmt: skip


def join_pieces(rows: list[dict]) -> list[tuple[int, str]]:
    """Line rows back to (number, text), pieces of a long line joined, in order."""
    rows.sort(key=lambda r: (r["number"], r["part"]))
    out: list[tuple[int, str]] = []
    for r in rows:
        if out and out[-1][0] == r["number"]:
            out[-1] = (r["number"], out[-1][1] + r["text"])
        else:
            out.append((r["number"], r["text"]))
    return out
