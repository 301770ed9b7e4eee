import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import FakeEmbedder

from qa.build import build_index
from qa.drift import check_drift
from qa.errors import IndexMissingError, IndexStaleError
from qa.settings import Settings
from qa.store import load_store


def test_round_trip_keeps_chunks_vectors_and_lines(settings):
    emb = FakeEmbedder()
    store, report = build_index(settings, emb)
    assert len(report.added) == 5 and report.embedded == len(store.chunks) > 5
    loaded = load_store(settings.index_dir, settings.index_fingerprint(emb.name, emb.dim))
    assert [c.model_dump() for c in loaded.chunks] == [c.model_dump() for c in store.chunks]
    assert (loaded.vectors == store.vectors).all()
    for f in settings.docs.iterdir():
        assert "\n".join(loaded.documents[f.name].lines) + "\n" == f.read_text() or (
            "\n".join(loaded.documents[f.name].lines) == f.read_text()
        )
    assert loaded.manifest["files"][f.name]
    assert loaded.manifest["chunk_size"] == settings.chunk_size


def test_incremental_update_embeds_only_changes(settings):
    emb = FakeEmbedder()
    build_index(settings, emb)
    files = sorted(settings.docs.iterdir())
    files[0].write_text(files[0].read_text() + "\nA new closing line.\n")
    files[1].unlink()
    (settings.docs / "new.md").write_text("# New\n\nFresh text about something.\n")
    emb.calls.clear()
    store, report = build_index(settings, emb)
    assert report.changed == [files[0].name]
    assert report.removed == [files[1].name]
    assert report.added == ["new.md"]
    assert len(report.unchanged) == 3
    embedded = [t for call in emb.calls for t in call]
    assert all(
        t in {c.text for c in store.chunks if c.file in (files[0].name, "new.md")} for t in embedded
    )
    assert files[1].name not in store.documents and "new.md" in store.documents
    _, again = build_index(settings, emb)
    assert again.embedded == 0 and len(again.unchanged) == 5


def test_changed_settings_are_detected_and_rebuilt(settings):
    emb = FakeEmbedder()
    build_index(settings, emb)
    other = settings.model_copy(update={"chunk_size": 120})
    with pytest.raises(IndexStaleError):
        load_store(other.index_dir, other.index_fingerprint(emb.name, emb.dim))
    store, report = build_index(other, emb)
    assert report.rebuilt and report.embedded == len(store.chunks)
    assert store.manifest["chunk_size"] == 120


def test_missing_and_corrupt_index(settings):
    with pytest.raises(IndexMissingError, match="qa index"):
        load_store(settings.index_dir)
    build_index(settings, FakeEmbedder())
    segment_file(settings.index_dir, "files.json").write_text("{broken\n")
    with pytest.raises(IndexMissingError, match="--rebuild"):
        load_store(settings.index_dir)
    build_index(settings, FakeEmbedder(), rebuild=True)
    segment_file(settings.index_dir, "dense.faiss").write_bytes(b"junk")
    with pytest.raises(IndexMissingError, match="--rebuild"):
        load_store(settings.index_dir)


def segment_file(index_dir: Path, name: str) -> Path:
    """A file of the current build's first segment."""
    manifest = json.loads((index_dir / "current" / "manifest.json").read_text())
    return index_dir / "segments" / manifest["segments"][0]["name"] / name


def test_binary_and_odd_files(settings):
    (settings.docs / "blob.txt").write_bytes(b"\x00\x01binary")
    (settings.docs / "crlf.txt").write_bytes(b"\xef\xbb\xbfTitle\r\n\r\nbody \xff line\r\nlast")
    (settings.docs / "ignored.pdf").write_bytes(b"%PDF")
    store, _ = build_index(settings, FakeEmbedder())
    assert "blob.txt" not in store.documents and "ignored.pdf" not in store.documents
    assert store.documents["crlf.txt"].lines == ("Title", "", "body \ufffd line", "last")


def add_odd_files(docs: Path, outside: Path) -> dict[str, str]:
    """One file of each kind that must be skipped (or decoded and noted): name -> reason."""
    with open(os.path.join(os.fsencode(docs), b"bad-\xff-name.txt"), "wb") as fh:
        fh.write(b"text under a name that is not UTF-8\n")
    (docs / "latin.txt").write_bytes(b"Caf\xe9 au lait\n\nThe na\xefve reader.\n")
    noise = bytes(b for b in random.Random(1).randbytes(5000) if b)
    (docs / "noise.txt").write_bytes(noise)
    (docs / "huge.txt").write_text("big line\n" * 2000)  # 18 kB
    (outside / "secret.txt").write_text("outside the folder\n")
    (docs / "escape.txt").symlink_to(outside / "secret.txt")
    (docs / "dangling.md").symlink_to(docs / "gone.txt")
    (docs / "folder.txt").mkdir()
    (docs / "dir-link.txt").symlink_to(docs / "folder.txt")
    return {
        "bad-\\xff-name.txt": "not valid UTF-8",
        "noise.txt": "binary content",
        "huge.txt": "over QA_MAX_FILE_BYTES",
        "escape.txt": "outside the docs folder",
        "dangling.md": "leads nowhere",
        "dir-link.txt": "cannot be read",
    }


def test_every_odd_file_is_skipped_with_a_reason(settings, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    expected = add_odd_files(settings.docs, outside)
    small = settings.model_copy(update={"max_file_bytes": 15000})
    store, report = build_index(small, FakeEmbedder())
    reasons = {s.file: s.reason for s in report.skipped}
    assert set(reasons) == set(expected)
    for file, words in expected.items():
        assert words in reasons[file], reasons[file]
    assert report.decoded == [("latin.txt", "cp1252")]
    assert store.documents["latin.txt"].lines == ("Café au lait", "", "The naïve reader.")
    assert len(store.documents) == 6 and "5 skipped" not in report.summary()
    assert f"{len(expected)} skipped" in report.summary()
    assert not check_drift(small.docs, store.manifest).stale  # skipped files are recorded too
    _, again = build_index(small, FakeEmbedder())
    assert again.embedded == 0 and len(again.skipped) == len(expected)


def test_killed_build_leaves_previous_index_loadable(settings, tmp_path):
    """kill -9 a real build process at random moments; the old index must still load."""
    emb = FakeEmbedder()
    small = Settings(docs=settings.docs, index_dir=settings.index_dir, chunk_size=50)
    build_index(small, emb)
    before = load_store(small.index_dir)
    for i in range(20):  # more text, so the build takes a while
        (settings.docs / f"extra{i}.txt").write_text(
            "\n\n".join(f"para {j} " * 8 for j in range(40))
        )
    script = Path(__file__).parent / "slow_build.py"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent.parent))
    rng = random.Random(7)
    for _ in range(4):
        proc = subprocess.Popen(
            [sys.executable, str(script), str(small.docs), str(small.index_dir)],
            stdout=subprocess.PIPE,
            env=env,
        )
        assert proc.stdout.readline().strip() == b"start"
        time.sleep(rng.uniform(0.05, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        after = load_store(small.index_dir)
        assert len(after.chunks) in (len(before.chunks), len(after.vectors))
        assert after.vectors.shape[0] == len(after.chunks)
    # and a later build cleans up and completes
    store, _ = build_index(small, emb)
    assert "extra0.txt" in store.documents
    assert len(list(small.index_dir.glob("build-*"))) == 1


def test_an_interrupted_build_resumes_without_embedding_again(settings):
    """A build that dies mid-way keeps the vectors of the files it finished; the next build
    embeds only the rest, and clears what it kept once it is published."""
    small = Settings(docs=settings.docs, index_dir=settings.index_dir, chunk_size=50)
    for i in range(8):
        (settings.docs / f"extra{i}.txt").write_text(
            "\n\n".join(f"para {j} " * 8 for j in range(40))
        )
    script = Path(__file__).parent / "slow_build.py"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent.parent))
    died = subprocess.run([sys.executable, str(script), str(small.docs), str(small.index_dir), "4"],
                          env=env, capture_output=True, check=False)  # fmt: skip
    assert died.returncode == 9 and b"done" not in died.stdout
    assert not (small.index_dir / "current").exists()  # nothing was published
    store, report = build_index(small, FakeEmbedder())
    assert report.resumed >= 64 and report.embedded + report.resumed == report.chunks
    assert "kept from an interrupted build" in report.summary()
    assert report.chunks == len(store.chunks) and not (small.index_dir / "partial").exists()
    fresh, _ = build_index(small, FakeEmbedder(), rebuild=True)
    assert np.allclose(fresh.vectors, store.vectors)  # kept vectors are the same vectors


def test_a_build_that_cannot_be_written_keeps_the_previous_one(settings, monkeypatch):
    """A full disk mid-build: one clear error, no half folder left, the old build still live."""
    import errno

    import numpy

    from qa.errors import IndexWriteError

    emb = FakeEmbedder()
    before, _ = build_index(settings, emb)
    (settings.docs / "more.txt").write_text("More text about something else.\n")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(numpy, "save", full)
    with pytest.raises(IndexWriteError, match="No space left on device.*previous build is kept"):
        build_index(settings, emb)
    monkeypatch.undo()
    assert len(list(settings.index_dir.glob("build-*"))) == 1
    after = load_store(settings.index_dir)
    assert "more.txt" not in after.documents and len(after.chunks) == len(before.chunks)
