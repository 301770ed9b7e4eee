"""A damaged index is named in one line before anything loads, and `build_index` replaces it."""

import json
import os

import pytest
from conftest import FakeEmbedder

from qa.errors import IndexMissingError
from qa.integrity import validate
from qa.store import build_index, load_store


def drop_last_row(path):
    path.write_bytes(b"".join(path.read_bytes().splitlines(keepends=True)[:-1]))


def truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def replace(path):
    path.write_bytes(b"x" * path.stat().st_size)


DAMAGE = [
    ("documents.jsonl", drop_last_row),
    ("chunks.jsonl", drop_last_row),
    ("vectors.npy", lambda p: p.write_bytes(b"")),
    ("vectors.npy", truncate),
    ("faiss.index", truncate),
    ("faiss.index", replace),
    ("chunks.jsonl", lambda p: p.unlink()),
]


@pytest.mark.parametrize("name, damage", DAMAGE)
def test_each_damaged_file_is_named_in_one_line(settings, name, damage):
    build_index(settings, FakeEmbedder())
    damage(settings.index_dir / "current" / name)
    for check in (validate, load_store):
        with pytest.raises(IndexMissingError) as err:
            check(settings.index_dir)
        message = str(err.value)
        assert name in message and "qa index --rebuild" in message and "\n" not in message


@pytest.mark.parametrize("edit", [lambda m: m.pop("docs"), lambda m: m.pop("dim"), None])
def test_damaged_manifest(settings, edit):
    build_index(settings, FakeEmbedder())
    path = settings.index_dir / "current" / "manifest.json"
    if edit is None:
        path.write_text("[1, 2")
    else:
        manifest = json.loads(path.read_text())
        edit(manifest)
        path.write_text(json.dumps(manifest))
    with pytest.raises(IndexMissingError, match="manifest.json") as err:
        validate(settings.index_dir)
    assert "\n" not in str(err.value)
    store, report = build_index(settings, FakeEmbedder())  # rebuilt from scratch, no KeyError
    assert report.rebuilt.startswith("previous index unreadable") and store.chunks
    validate(settings.index_dir)


def test_index_without_checksums_is_still_checked_by_rows(settings):
    """Builds from before checksums: row counts and the vector shape still catch damage."""
    build_index(settings, FakeEmbedder())
    path = settings.index_dir / "current" / "manifest.json"
    manifest = json.loads(path.read_text())
    del manifest["checksums"], manifest["rows"]
    path.write_text(json.dumps(manifest))
    validate(settings.index_dir)
    drop_last_row(settings.index_dir / "current" / "chunks.jsonl")
    with pytest.raises(IndexMissingError, match="vectors.npy"):
        validate(settings.index_dir)


def test_a_whole_build_is_hashed_once_per_process_until_a_file_changes(settings, monkeypatch):
    import qa.integrity as integrity

    build_index(settings, FakeEmbedder())
    hashed = []
    real = integrity.file_sha256
    monkeypatch.setattr(integrity, "file_sha256", lambda p: hashed.append(p.name) or real(p))
    integrity._whole.clear()
    validate(settings.index_dir)
    first = len(hashed)
    load_store(settings.index_dir)  # start-up validates, then loads: one pass of hashing
    assert first == 4 and len(hashed) == first
    damaged = settings.index_dir / "current" / "faiss.index"
    replace(damaged)  # same size
    os.utime(damaged, ns=(1, 1))  # a new time, whatever the file system's clock granularity
    with pytest.raises(IndexMissingError, match="faiss.index"):
        validate(settings.index_dir)
