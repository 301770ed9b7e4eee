"""A Store in Milvus: a Milvus Lite file for development, any Milvus server by URI for production.

Collections and rows are laid out as qa/milvus_schema.py describes. The alias `<alias>` names the
live chunks collection. A full build writes a new pair and then moves the alias, so a build
killed at any moment leaves the previous build serving (and the next build resumes the
unpublished pair, keeping the files it finished). An incremental update replaces a changed
file's rows in the live pair: the file's record row goes last, so a file interrupted half way is
redone by the next build.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

from qa.build import BuildReport, Progress
from qa.chunk import Chunk, chunk_document
from qa.corpus import Document, read_corpus
from qa.embed import Embedder
from qa.errors import IndexMissingError, IndexStaleError
from qa.milvus_schema import (
    EF_SEARCH,
    FLAT_BELOW,
    alias_for,
    connect,
    join_pieces,
    line_rows,
    lit,
    record,
    release,
    schemas,
)
from qa.retrieve import CANDIDATES, RRF_K, Passage
from qa.settings import Settings

FORMAT = 1  # of the manifest row a build writes
SLAB = 512  # chunks embedded and inserted together
PAGE = 16384  # most rows one Milvus query returns


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
    def path(self) -> Path:
        """The live build, named like a local build folder: its collection and a digest of its
        files' hashes (an incremental update changes rows in place, not the collection)."""
        files = json.dumps(self.manifest.get("files", {}), sort_keys=True).encode()
        return Path(f"{self.live or 'none'}-{hashlib.sha256(files).hexdigest()[:8]}")

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
                filter=f"file == {lit(file)} and number > {lo} and number <= {lo + step}",
                output_fields=["number", "part", "text"],
                limit=PAGE,
            )
        return tuple(t for _, t in join_pieces(rows))

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

    def published(self) -> bool:
        """See Store.published."""
        return bool(self._published())

    def load(self) -> None:
        """Open the build the alias names (see Store.load)."""
        live = self._published()
        if not live:
            raise IndexMissingError(f"no index for {self.settings.docs} in Milvus: run `qa index`")
        manifest = self._read_manifest(live.replace("_c_", "_l_", 1))
        if manifest is None:
            raise IndexMissingError(
                f"Milvus collection {live} has no manifest: run `qa index --rebuild`"
            )
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
        (cs, ci), (ls, li) = schemas(self.client, self.embedder.dim, chunks < FLAT_BELOW)
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
            files = lit([d.file for d, _ in group])
            self.client.delete(name, filter=f"file in {files}")
            self.client.delete(lines, filter=f"file in {files}")
        rows = [r for d, _ in group for r in line_rows(d)]
        for start in range(0, len(rows), 4096):
            self.client.insert(lines, rows[start : start + 4096])
        if chunks:
            self.client.insert(name, [
                {"id": c.id, "file": c.file, "start_line": c.start_line, "end_line": c.end_line,
                 "text": c.text, "dense": v.tolist()}
                for c, v in zip(chunks, vectors, strict=True)
            ])  # fmt: skip
        self.client.insert(lines, [record(d) for d, _ in group])

    def build(self, rebuild: bool = False, progress: Progress | None = None) -> BuildReport:
        """Update the live build in place, or write a new one and move the alias (see Store)."""
        started = time.perf_counter()
        documents = read_corpus(self.settings.docs, self.settings.max_file_bytes).documents
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
        todo = _plan(documents, have, report)
        if report.removed:
            self.client.delete(name, filter=f"file in {lit(report.removed)}")
            self.client.delete(lines, filter=f"file in {lit(report.removed)}")
        report.embedded = self._write(name, lines, todo, dirty, progress)
        if todo or report.removed or name != live:
            self.client.upsert(lines, [self._manifest_row()])
        self.client.flush(lines)
        self.client.flush(name)
        if name != live:
            self._publish(name, live)
        self.load()
        report.chunks = self._count(self.live)
        report.seconds = time.perf_counter() - started
        return report

    def _publish(self, name: str, live: str) -> None:
        """Point the alias at a finished build (the one step that changes what is served), then
        drop every other build."""
        if live:
            self.client.alter_alias(name, self.alias)
        else:
            self.client.create_alias(name, self.alias)
        keep = name[len(f"{self.alias}_c_") :]
        for gen in self._generations():
            if gen != keep:
                self._drop(gen)

    @property
    def size(self) -> int:
        """Chunks in the published build."""
        return self._count(self.live) if self.live else 0

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
            filter=f"id in {lit(ids)}", output_fields=[],
            search_params={"metric_type": "BM25"},
        )[0]  # fmt: skip
        return {h["id"]: abs(float(h["distance"])) for h in hits}

    def lines(self, file: str, start: int, end: int) -> str:
        """See Store.lines."""
        if file in self.documents.cache or end - start > PAGE // 4:
            return "\n".join(self.documents[file].lines[start - 1 : end])
        rows = self.client.query(
            self.lines_name,
            filter=f"file == {lit(file)} and number >= {max(start, 1)} and number <= {int(end)}",
            output_fields=["number", "part", "text"], limit=PAGE,
        )  # fmt: skip
        return "\n".join(t for _, t in join_pieces(rows))

    def close(self) -> None:
        """Close the Milvus connection; for a Lite file also stop its server, freeing the file's
        lock for another process."""
        self.client.close()
        release(self.settings.store)


def _plan(documents: list[Document], have: dict[str, str], report: BuildReport) -> list[Document]:
    """The documents to (re)write, given the sha256 of each file a build holds; fills in
    report's added, changed, removed and unchanged."""
    report.removed = sorted(set(have) - {d.file for d in documents})
    todo = []
    for doc in documents:
        if have.get(doc.file) == doc.sha256:
            report.unchanged.append(doc.file)
            continue
        (report.changed if doc.file in have else report.added).append(doc.file)
        todo.append(doc)
    return todo


def published_manifest(settings: Settings) -> dict:
    """The manifest of the build Milvus serves for these settings, read without loading a model
    (for `qa index --check`); IndexMissingError when there is none."""
    from types import SimpleNamespace

    store = MilvusStore(settings, SimpleNamespace(name="", dim=0))  # no fingerprint is checked
    try:
        live = store._published()
        manifest = store._read_manifest(live.replace("_c_", "_l_", 1)) if live else None
    finally:
        store.close()
    if manifest is None:
        raise IndexMissingError(f"no index for {settings.docs} in Milvus: run `qa index`")
    return manifest
