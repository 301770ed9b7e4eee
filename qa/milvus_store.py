"""A Store in Milvus: a Milvus Lite file for development, any Milvus server by URI for production.

Each build is a pair of collections, `<alias>_c_<gen>` and `<alias>_l_<gen>`:

    chunks  id, file, start_line, end_line, text (BM25 function -> sparse), dense
    lines   every line of every file (pieces of at most LINE_PIECE characters), the source of
            quotes; row `number == 0` of a file records its sha256 and is written after all of
            the file's rows, row id "manifest" holds the manifest

The alias `<alias>` names the live chunks collection. A full build writes a new pair and then
moves the alias, so a build killed at any moment leaves the previous build serving (and the
next build resumes the unpublished pair, keeping the files it finished). An incremental update
replaces a changed file's rows in the live pair: the file's record row goes last, so a file
interrupted half way is redone by the next build.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

from qa.chunk import Chunk, chunk_document
from qa.corpus import Document, read_corpus
from qa.embed import Embedder
from qa.errors import IndexMissingError, IndexStaleError, ModelUnavailableError
from qa.retrieve import CANDIDATES, RRF_K, Passage
from qa.settings import Settings
from qa.store import FORMAT, BuildReport, Progress

LINE_PIECE = 8000  # characters per line row: Milvus VARCHAR holds 65,535 bytes
SLAB = 512  # chunks embedded and inserted together
PAGE = 16384  # most rows one Milvus query returns
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

    logging.getLogger("pymilvus").setLevel(logging.ERROR)  # it warns on every query iterator

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


def alias_for(settings: Settings) -> str:
    """The collection alias of a corpus: its folder name and a hash of its path."""
    docs = settings.docs.resolve()
    name = re.sub(r"\W", "_", docs.name)[:24] or "docs"
    return f"qa_{name}_{hashlib.sha256(str(docs).encode()).hexdigest()[:8]}"


def _lit(value: str | list[str]) -> str:
    """A Milvus expression literal (Milvus Lite takes no filter_params templates)."""
    return json.dumps(value, ensure_ascii=False)


def _file_key(file: str) -> str:
    return hashlib.sha1(file.encode()).hexdigest()[:16]


def _schemas(client, dim: int, flat: bool):
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


def _line_rows(doc: Document) -> Iterator[dict]:
    key = _file_key(doc.file)
    for n, line in enumerate(doc.lines, start=1):
        pieces = [line[i : i + LINE_PIECE] for i in range(0, len(line), LINE_PIECE)] or [""]
        for p, piece in enumerate(pieces):
            yield {"id": f"{key}:{n}:{p}", "file": doc.file, "number": n, "part": p,
                   "text": piece, "v": [0.0, 0.0]}  # fmt: skip


def _record(doc: Document) -> dict:
    return {"id": f"{_file_key(doc.file)}:0:0", "file": doc.file, "number": 0, "part": 0,
            "text": f"{doc.sha256} {len(doc.lines)}", "v": [0.0, 0.0]}  # fmt: skip


def _join(rows: list[dict]) -> list[tuple[int, str]]:
    rows.sort(key=lambda r: (r["number"], r["part"]))
    out: list[tuple[int, str]] = []
    for r in rows:
        if out and out[-1][0] == r["number"]:
            out[-1] = (r["number"], out[-1][1] + r["text"])
        else:
            out.append((r["number"], r["text"]))
    return out


class Documents(Mapping):
    """The indexed files, each read from Milvus on first use (a few kept)."""

    def __init__(self, store: MilvusStore, files: dict[str, str], keep: int = 64) -> None:
        # files: path -> "sha256 line-count", as the record rows hold them
        self.store, self.files, self.keep = store, files, keep
        self.cache: dict[str, Document] = {}

    def __getitem__(self, file: str) -> Document:
        if file not in self.files:
            raise KeyError(file)
        if file not in self.cache:
            if len(self.cache) >= self.keep:
                self.cache.pop(next(iter(self.cache)))
            sha256, count = self.files[file].split()
            lines = self.store._file_lines(file, int(count))
            self.cache[file] = Document(file, lines, sha256)
        return self.cache[file]

    def __iter__(self) -> Iterator[str]:
        return iter(self.files)

    def __len__(self) -> int:
        return len(self.files)


class MilvusStore:
    """Chunks, BM25 and vectors in Milvus; hybrid search runs inside it (RRF)."""

    kind = "milvus"

    def __init__(self, settings: Settings, embedder: Embedder, client=None) -> None:
        self.settings = settings
        self.embedder = embedder
        self.fingerprint = settings.index_fingerprint(embedder.name, embedder.dim)
        self.alias = alias_for(settings)
        self.client = client or connect(settings.store)
        self.live = ""
        self.manifest: dict = {}
        self.documents: Documents = Documents(self, {})

    @property
    def lines_name(self) -> str:
        """The lines collection paired with the live chunks collection."""
        return self.live.replace("_c_", "_l_", 1)

    def _published(self) -> str:
        if self.alias not in self.client.list_aliases().get("aliases", []):
            return ""
        return self.client.describe_alias(self.alias)["collection_name"]

    def _records(self, lines: str, prefix: str = "") -> list[dict]:
        """Every file's record row: asked for by id prefix, split further while a page is full
        (a query returns at most PAGE rows; Milvus Lite has no query iterator)."""
        where = 'number == 0 and file != ""' + (f' and id like "{prefix}%"' if prefix else "")
        rows = self.client.query(lines, filter=where, output_fields=["file", "text"], limit=PAGE)
        if len(rows) < PAGE:
            return rows
        return [r for digit in "0123456789abcdef" for r in self._records(lines, prefix + digit)]

    def _file_lines(self, file: str, count: int) -> tuple[str, ...]:
        """All lines of a file, read in pages of line numbers."""
        rows: list[dict] = []
        step = PAGE // 4  # pages of line numbers; a line longer than LINE_PIECE is several rows
        for lo in range(0, count, step):
            rows += self.client.query(
                self.lines_name,
                filter=f"file == {_lit(file)} and number > {lo} and number <= {lo + step}",
                output_fields=["number", "part", "text"],
                limit=PAGE,
            )
        return tuple(t for _, t in _join(rows))

    def _read_manifest(self, lines: str) -> dict | None:
        """The manifest of a build; "records" maps each finished file to its record."""
        self.client.load_collection(lines)  # a reopened Milvus holds collections released
        rows = self.client.query(lines, ids=["manifest"], output_fields=["text"])
        if not rows:
            return None
        manifest = json.loads(rows[0]["text"])
        records = {r["file"]: r["text"] for r in self._records(lines)}
        manifest["records"] = dict(sorted(records.items()))
        manifest["files"] = {f: r.split()[0] for f, r in manifest["records"].items()}
        return manifest

    def load(self) -> None:
        """Open the build the alias names (see Store.load)."""
        live = self._published()
        if not live:
            raise IndexMissingError(f"no index for {self.settings.docs} in Milvus: run `qa index`")
        manifest = self._read_manifest(live.replace("_c_", "_l_", 1))
        if manifest is None:
            raise IndexMissingError(f"Milvus collection {live} has no manifest: run `qa index`")
        if manifest.get("fingerprint") != self.fingerprint:
            raise IndexStaleError(
                f"Milvus index {live} was built with other settings or another embedder "
                f"({manifest.get('embedder')}, dim {manifest.get('dim')}, chunk_size "
                f"{manifest.get('chunk_size')}): run `qa index` to rebuild it"
            )
        self.live, self.manifest = live, manifest
        self.client.load_collection(self.live)
        self.client.load_collection(self.lines_name)
        self.documents = Documents(self, manifest["records"])

    def _manifest_row(self) -> dict:
        manifest = {
            "format": FORMAT, "fingerprint": self.fingerprint, "embedder": self.embedder.name,
            "dim": self.embedder.dim, "chunk_size": self.settings.chunk_size,
            "chunk_overlap": self.settings.chunk_overlap, "store": "milvus",
            "docs": str(self.settings.docs.resolve()),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }  # fmt: skip
        return {"id": "manifest", "file": "", "number": 0, "part": 0,
                "text": json.dumps(manifest), "v": [0.0, 0.0]}  # fmt: skip

    def _new_generation(self, chunks: int) -> tuple[str, str, bool]:
        """A chunks/lines pair to build into: an unpublished one of the same fingerprint left by
        an interrupted build (resumed), else a new one; other leftovers are dropped."""
        live = self._published()
        head = f"{self.alias}_c_"
        resumable = ""
        for gen in self._generations():
            name, lines = f"{head}{gen}", f"{self.alias}_l_{gen}"
            if name == live:
                continue
            manifest = None
            if self.client.has_collection(name) and self.client.has_collection(lines):
                try:
                    manifest = self._read_manifest(lines)
                except Exception:  # a half-created pair: dropped below
                    manifest = None
            if not resumable and manifest and manifest["fingerprint"] == self.fingerprint:
                resumable = name
                continue
            self._drop(gen)
        if resumable:
            self.client.load_collection(resumable)
            return resumable, resumable.replace("_c_", "_l_", 1), True
        gen = f"{time.strftime('%Y%m%d%H%M%S')}_{uuid.uuid4().hex[:6]}"
        name, lines = f"{head}{gen}", f"{self.alias}_l_{gen}"
        (cs, ci), (ls, li) = _schemas(self.client, self.embedder.dim, chunks < FLAT_BELOW)
        self.client.create_collection(name, schema=cs, index_params=ci)
        self.client.create_collection(lines, schema=ls, index_params=li)
        self.client.insert(lines, [self._manifest_row()])  # last: marks the pair resumable
        return name, lines, False

    def _generations(self) -> list[str]:
        """Every build of this corpus in Milvus, published or not, by generation."""
        found = set()
        for name in self.client.list_collections():
            for head in (f"{self.alias}_c_", f"{self.alias}_l_"):
                if name.startswith(head):
                    found.add(name[len(head) :])
        return sorted(found)

    def _drop(self, gen: str) -> None:
        for name in (f"{self.alias}_c_{gen}", f"{self.alias}_l_{gen}"):
            if self.client.has_collection(name):
                self.client.drop_collection(name)

    def _write(self, name: str, lines: str, docs: list[Document], dirty: bool, progress) -> int:
        """Insert docs' chunks and lines; each file's record row last. Returns chunks embedded."""
        size, overlap = self.settings.chunk_size, self.settings.chunk_overlap
        todo = [(d, chunk_document(d, size, overlap)) for d in docs]
        total, done, group = sum(len(c) for _, c in todo), 0, []
        for i, (doc, chunks) in enumerate(todo):
            group.append((doc, chunks))
            if sum(len(c) for _, c in group) < SLAB and i < len(todo) - 1:
                continue
            self._write_group(name, lines, group, dirty)
            done += sum(len(c) for _, c in group)
            group = []
            if progress:
                progress(done, total)
        return total

    def _write_group(self, name: str, lines: str, group: list, dirty: bool) -> None:
        chunks: list[Chunk] = [c for _, cs in group for c in cs]
        vectors = (
            self.embedder.embed_batch([c.text for c in chunks])
            if chunks
            else np.zeros((0, self.embedder.dim), dtype=np.float32)
        )
        if dirty:  # leftovers of an interrupted build, or the old version of a changed file
            files = _lit([d.file for d, _ in group])
            self.client.delete(name, filter=f"file in {files}")
            self.client.delete(lines, filter=f"file in {files}")
        rows = [r for d, _ in group for r in _line_rows(d)]
        for start in range(0, len(rows), 4096):
            self.client.insert(lines, rows[start : start + 4096])
        if chunks:
            self.client.insert(name, [
                {"id": c.id, "file": c.file, "start_line": c.start_line, "end_line": c.end_line,
                 "text": c.text, "dense": v.tolist()}
                for c, v in zip(chunks, vectors, strict=True)
            ])  # fmt: skip
        self.client.insert(lines, [_record(d) for d, _ in group])

    def build(self, rebuild: bool = False, progress: Progress | None = None) -> BuildReport:
        """Update the live build in place, or write a new one and move the alias (see Store)."""
        started = time.perf_counter()
        documents = read_corpus(self.settings.docs)
        report = BuildReport()
        live = self._published()
        old = self._read_manifest(live.replace("_c_", "_l_", 1)) if live else None
        if rebuild:
            report.rebuilt = "--rebuild"
        elif old is not None and old["fingerprint"] != self.fingerprint:
            report.rebuilt = "settings or embedder changed"
        if old is not None and not report.rebuilt:
            name, lines, dirty, have = live, live.replace("_c_", "_l_", 1), True, old["files"]
            self.client.load_collection(name)
        else:
            estimate = sum(len(d.lines) for d in documents) // 2  # ~2 lines a chunk in news
            name, lines, dirty = self._new_generation(estimate)
            have = self._read_manifest(lines)["files"] if dirty else {}
        now = {d.file: d for d in documents}
        report.removed = sorted(set(have) - set(now))
        todo = []
        for doc in documents:
            if have.get(doc.file) == doc.sha256:
                report.unchanged.append(doc.file)
                continue
            (report.changed if doc.file in have else report.added).append(doc.file)
            todo.append(doc)
        if report.removed:
            self.client.delete(name, filter=f"file in {_lit(report.removed)}")
            self.client.delete(lines, filter=f"file in {_lit(report.removed)}")
        report.embedded = self._write(name, lines, todo, dirty, progress)
        if todo or report.removed or name != live:
            self.client.upsert(lines, [self._manifest_row()])
        self.client.flush(lines)
        self.client.flush(name)
        if name != live:  # publish: the one step that changes what is served
            if live:
                self.client.alter_alias(name, self.alias)
            else:
                self.client.create_alias(name, self.alias)
            keep = name[len(f"{self.alias}_c_") :]
            for gen in self._generations():
                if gen != keep:
                    self._drop(gen)
        self.load()
        report.chunks = self._count(self.live)
        report.seconds = time.perf_counter() - started
        return report

    def _count(self, name: str) -> int:
        return int(self.client.query(name, filter="", output_fields=["count(*)"])[0]["count(*)"])

    def search(self, question: str, k: int, vector: np.ndarray | None = None) -> list[Passage]:
        """Dense and BM25 legs fused by Milvus with RRF (see Store.search)."""
        from pymilvus import AnnSearchRequest, RRFRanker

        query = self.embedder.embed_batch([question])[0] if vector is None else vector
        fields = ["file", "start_line", "end_line", "text", "dense"]
        dense = AnnSearchRequest(
            data=[query.tolist()], anns_field="dense", limit=max(k, CANDIDATES),
            param={"metric_type": "IP", "params": {"ef": max(EF_SEARCH, k)}},
        )  # fmt: skip
        reqs = [dense]
        if self.settings.hybrid and re.search(r"\w", question):
            reqs.append(
                AnnSearchRequest(
                    data=[question], anns_field="sparse", limit=CANDIDATES,
                    param={"metric_type": "BM25"},
                )
            )  # fmt: skip
        hits = self.client.hybrid_search(
            self.live, reqs, ranker=RRFRanker(RRF_K), limit=k, output_fields=fields
        )[0]
        lexical = self._bm25(question, [h["id"] for h in hits]) if len(reqs) > 1 else {}
        out = []
        for h in hits:
            e = h["entity"]
            cos = float(np.asarray(e["dense"], dtype=np.float32) @ query)
            out.append(Passage(
                file=e["file"], start_line=e["start_line"], end_line=e["end_line"],
                score=round(cos, 4), text=e["text"], lexical=round(lexical.get(h["id"], 0.0), 4),
                id=h["id"],
            ))  # fmt: skip
        return out

    def _bm25(self, question: str, ids: list[str]) -> dict[str, float]:
        """BM25 scores of the returned chunks, for display (hybrid search reports RRF only)."""
        if not ids:
            return {}
        hits = self.client.search(
            self.live, data=[question], anns_field="sparse", limit=len(ids),
            filter=f"id in {_lit(ids)}", output_fields=[],
            search_params={"metric_type": "BM25"},
        )[0]  # fmt: skip
        return {h["id"]: abs(float(h["distance"])) for h in hits}

    def lines(self, file: str, start: int, end: int) -> str:
        """See Store.lines."""
        if file in self.documents.cache or end - start > PAGE // 4:
            return "\n".join(self.documents[file].lines[start - 1 : end])
        rows = self.client.query(
            self.lines_name,
            filter=f"file == {_lit(file)} and number >= {max(start, 1)} and number <= {int(end)}",
            output_fields=["number", "part", "text"], limit=PAGE,
        )  # fmt: skip
        return "\n".join(t for _, t in _join(rows))

    def close(self) -> None:
        """Close the Milvus connection; for a Lite file also stop its server, freeing the file's
        lock for another process."""
        self.client.close()
        where = self.settings.store
        if not where.startswith(("milvus://", "http://", "https://", "tcp://")):
            from milvus_lite.server_manager import server_manager_instance

            server_manager_instance.release_server(str(Path(where).expanduser().resolve()))
