"""A damaged index is named in one line before anything loads, and `build_index` replaces it."""

import json
import os

import pytest
from conftest import FakeEmbedder

from qa.build import build_index
from qa.errors import IndexMissingError
from qa.integrity import validate
from qa.store import load_store


def drop_last_row(path):
    path.write_bytes(b"".join(path.read_bytes().splitlines(keepends=True)[:-1]))


def truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def replace(path):
    path.write_bytes(b"x" * path.stat().st_size)


DAMAGE = [
    ("lines.bin", drop_last_row),
    ("files.json", truncate),
    ("spans.npy", lambda p: p.write_bytes(b"")),
    ("terms.npz", truncate),
    ("dense.faiss", truncate),
    ("dense.faiss", replace),
    ("chunks.bin", lambda p: p.unlink()),
    ("rarity.json", replace),
]


def data_file(index_dir, name):
    """A file of the current build (rarity.json) or of its first segment."""
    current = index_dir / "current"
    if (current / name).exists():
        return current / name
    manifest = json.loads((current / "manifest.json").read_text())
    return index_dir / "segments" / manifest["segments"][0]["name"] / name


@pytest.mark.parametrize("name, damage", DAMAGE)
def test_each_damaged_file_is_named_in_one_line(settings, name, damage):
    build_index(settings, FakeEmbedder())
    damage(data_file(settings.index_dir, name))
    for check in (validate, load_store):
        with pytest.raises(IndexMissingError) as err:
            check(settings.index_dir)
        message = str(err.value)
        assert name in message and "qa index --rebuild" in message and "\n" not in message


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m.pop("docs"),
        lambda m: m.pop("dim"),
        lambda m: m.update(checksums=[1]),
        lambda m: m.update(segments=[{"dead": []}]),
        None,
    ],
)
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


def test_a_whole_build_is_hashed_once_per_process_until_a_file_changes(settings, monkeypatch):
    import qa.integrity as integrity

    build_index(settings, FakeEmbedder())
    hashed = []
    real = integrity.file_sha256
    monkeypatch.setattr(integrity, "file_sha256", lambda p: hashed.append(p.name) or real(p))
    integrity._whole.clear()
    integrity._hashed.clear()
    validate(settings.index_dir)
    first = len(hashed)
    load_store(settings.index_dir)  # start-up validates, then loads: one pass of hashing
    assert first == 12 and len(hashed) == first  # a segment's eleven files and rarity.json
    damaged = data_file(settings.index_dir, "dense.faiss")
    replace(damaged)  # same size
    os.utime(damaged, ns=(1, 1))  # a new time, whatever the file system's clock granularity
    with pytest.raises(IndexMissingError, match="dense.faiss"):
        validate(settings.index_dir)
