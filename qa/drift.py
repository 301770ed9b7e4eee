"""What changed on disk since the index was built: added, changed, emptied and deleted articles,
and answers whose citations no longer match the files they cite."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from qa.answer import ABSTAIN_TEXT, Answer
from qa.cite import Citation
from qa.corpus import decode_line, list_files, name_of
from qa.embed import embedder_name
from qa.errors import QAError
from qa.integrity import file_sha256, validate
from qa.settings import Settings


@dataclass
class Drift:
    """Files whose state on disk differs from the manifest's record of them."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    emptied: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    @property
    def stale(self) -> bool:
        """True when any file differs."""
        return bool(self.added or self.changed or self.emptied or self.deleted)

    def rows(self) -> list[tuple[str, str]]:
        """(what, file) for every difference."""
        kinds = ("added", "changed", "emptied", "deleted")
        return [(kind, f) for kind in kinds for f in getattr(self, kind)]


def records(manifest: dict) -> dict[str, dict]:
    """The manifest's record (size, mtime_ns, sha256) of every file it saw, skipped ones too."""
    out = {f: {"sha256": sha} for f, sha in manifest.get("files", {}).items()}
    for f, rec in manifest.get("stat", {}).items():
        out[f] = rec
    for f, rec in manifest.get("skipped", {}).items():
        out[f] = rec
    return out


def differs(path: Path, rec: dict) -> str:
    """'' when the file matches its record, else 'changed', 'emptied' or 'deleted'."""
    try:
        st = os.stat(path) if "sha256" in rec else os.lstat(path)  # skipped: the entry itself
    except OSError:
        return "deleted"
    if st.st_size == rec.get("size") and st.st_mtime_ns == rec.get("mtime_ns"):
        return ""
    if st.st_size == 0 and rec.get("size") != 0:
        return "emptied"
    if "sha256" not in rec:  # a skipped file: its size or time is all there is
        return "changed"
    try:
        return "" if file_sha256(path) == rec["sha256"] else "changed"
    except OSError:
        return "changed"


def check_drift(docs: Path, manifest: dict) -> Drift:
    """Compare the articles under docs with the manifest, reading only files whose size or
    modification time changed."""
    recorded = records(manifest)
    drift, seen = Drift(), set()
    for path in list_files(docs):
        rel = name_of(docs, path)
        seen.add(rel)
        if rel not in recorded:
            drift.added.append(rel)
        elif kind := differs(path, recorded[rel]):
            getattr(drift, "changed" if kind == "deleted" else kind).append(rel)
    drift.deleted = sorted(set(recorded) - seen)
    return drift


def check_index(settings: Settings) -> Drift:
    """Drift of settings.docs against the current index's manifest (no model is loaded)."""
    if settings.local_store:
        return check_drift(settings.docs, validate(settings.index_dir))
    from qa.milvus_store import published_manifest

    return check_drift(settings.docs, published_manifest(settings))


def up_to_date(settings: Settings) -> bool:
    """True when the index was built with these settings from exactly the files on disk."""
    try:
        manifest = validate(settings.index_dir)  # a damaged index is rebuilt, not kept
        name, dim = embedder_name(settings.embedder_path()), int(manifest["dim"])
    except (QAError, KeyError, TypeError, ValueError):
        return False
    return (
        manifest.get("fingerprint") == settings.index_fingerprint(name, dim)
        and manifest.get("docs") == str(settings.docs.resolve())
        and manifest.get("max_file_bytes") == settings.max_file_bytes
        and not check_drift(settings.docs, manifest).stale
    )


def quote_on_disk(docs: Path, citation: Citation, encoding: str) -> bool:
    """True when the quote is on lines start..end of the file on disk (only those are read)."""
    try:
        with open(docs / citation.file, "rb") as fh:
            raw = list(islice(fh, citation.end_line))
    except OSError:
        return False
    if len(raw) < citation.end_line or citation.start_line < 1:
        return False
    first = citation.start_line
    lines = [decode_line(b, encoding, n == 1) for n, b in enumerate(raw[first - 1 :], first)]
    return bool(citation.quote) and citation.quote in "\n".join(lines)


def freshen(answer: Answer, docs: Path, manifest: dict) -> None:
    """Flag an answer citing files changed since indexing as stale; drop each citation whose
    quote is no longer on its lines, and abstain when none is left."""
    recorded = records(manifest)
    kept, dropped = [], []
    for c in answer.citations:
        if differs(docs / c.file, recorded.get(c.file, {})):
            answer.stale = True
        encoding = recorded.get(c.file, {}).get("encoding", "utf-8")
        (kept if quote_on_disk(docs, c, encoding) else dropped).append(c)
    if not dropped:
        return
    answer.stale, answer.citations = True, kept
    if not kept and not answer.abstained:
        where = ", ".join(f"{c.file}:{c.start_line}" for c in dropped)
        answer.answer, answer.abstained = ABSTAIN_TEXT, True
        answer.abstain_reason = (
            f"the cited line ({where}) changed on disk since indexing: run `qa index`"
        )
