"""One suite, run against every Store: the local files and a Milvus Lite file."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FakeEmbedder

from qa.chunk import chunk_document
from qa.corpus import read_document
from qa.errors import IndexMissingError, IndexStaleError
from qa.stores import make_store, open_store_for

QUESTIONS = [
    json.loads(line)["question"] for line in open(Path(__file__).parent / "gold/dev.jsonl")
]


@pytest.fixture(params=["local", "milvus"])
def kind(request) -> str:
    return request.param


@pytest.fixture
def store_settings(settings, kind, tmp_path):
    where = "local" if kind == "local" else str(tmp_path / "milvus" / "qa.db")
    return settings.model_copy(update={"store": where})


def reopen(settings, embedder):
    store = make_store(settings, embedder)
    store.load()
    return store


def test_round_trip_keeps_lines_chunks_and_manifest(store_settings):
    emb = FakeEmbedder()
    store = open_store_for(store_settings, emb)
    store.close()
    again = reopen(store_settings, emb)
    files = sorted(p.name for p in store_settings.docs.iterdir())
    assert sorted(again.documents) == files
    for name in files:
        text = (store_settings.docs / name).read_text()
        lines = text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")
        assert again.lines(name, 1, len(lines)) == "\n".join(lines)
        assert again.documents[name].lines == tuple(lines)
        assert again.lines(name, 3, 4) == "\n".join(lines[2:4])
    assert again.manifest["chunk_size"] == store_settings.chunk_size
    assert again.manifest["fingerprint"] == store_settings.index_fingerprint(emb.name, emb.dim)
    assert set(again.manifest["files"]) == set(files)
    for p in again.search(QUESTIONS[0], 10):
        assert p.text == again.lines(p.file, p.start_line, p.end_line)
    again.close()


def test_incremental_update_replaces_only_changed_files(store_settings):
    emb = FakeEmbedder()
    store = open_store_for(store_settings, emb)
    files = sorted(store_settings.docs.iterdir())
    files[0].write_text(files[0].read_text() + "\nThe zeppelin landed in Tallinn at noon.\n")
    files[1].unlink()
    (store_settings.docs / "new.md").write_text("# New\n\nA quokka was elected mayor of Perth.\n")
    emb.calls.clear()
    report = store.build()
    assert report.changed == [files[0].name]
    assert report.removed == [files[1].name]
    assert report.added == ["new.md"]
    assert len(report.unchanged) == 3
    changed = {files[0].name, "new.md"}
    docs = [read_document(store_settings.docs, store_settings.docs / f) for f in changed]
    expected = {c.text for d in docs for c in chunk_document(d, store_settings.chunk_size)}
    embedded = {t for call in emb.calls for t in call}
    assert embedded == expected
    store.close()
    store = reopen(store_settings, emb)
    top = store.search("quokka elected mayor Perth", 3)
    assert top[0].file == "new.md" and "A quokka was elected mayor of Perth." in top[0].text
    assert store.search("zeppelin Tallinn", 1)[0].file == files[0].name
    assert files[1].name not in store.documents
    assert not [p for p in store.search(QUESTIONS[5], 50) if p.file == files[1].name]
    n = len(files[0].read_text().rstrip("\n").split("\n"))
    assert store.lines(files[0].name, n, n) == "The zeppelin landed in Tallinn at noon."
    assert all(t in {p.text for p in store.search(t, 50)} for t in embedded if len(t) > 30)
    emb.calls.clear()
    again = store.build()
    assert again.embedded == 0 and len(again.unchanged) == 5 and not emb.calls
    assert changed <= set(store.documents)
    store.close()


def test_other_settings_are_stale_and_rebuilt(store_settings):
    emb = FakeEmbedder()
    open_store_for(store_settings, emb).close()
    other = store_settings.model_copy(update={"chunk_size": 120})
    with pytest.raises(IndexStaleError):
        reopen(other, emb)
    store = open_store_for(other, emb)
    assert store.manifest["chunk_size"] == 120
    store.close()


def test_missing_index_is_built_and_a_corrupt_one_is_not_replaced(store_settings, kind):
    emb = FakeEmbedder()
    with pytest.raises(IndexMissingError):
        make_store(store_settings, emb).load()
    store = open_store_for(store_settings, emb)
    if kind == "local":
        (store_settings.index_dir / "current" / "rarity.json").write_text("{broken\n")
    else:
        store.client.delete(store.lines_name, ids=["manifest"])
    store.close()
    with pytest.raises(IndexMissingError, match="--rebuild"):
        open_store_for(store_settings, emb)


def test_hybrid_search_order_matches_between_stores(settings, tmp_path):
    """Same chunks, same vectors, same fusion: the local and Milvus orders agree."""
    emb = FakeEmbedder()
    local = open_store_for(settings, emb)
    milvus = open_store_for(settings.model_copy(update={"store": str(tmp_path / "m.db")}), emb)
    same = 0
    for question in QUESTIONS:
        a = [(p.file, p.start_line) for p in local.search(question, 5)]
        b = [(p.file, p.start_line) for p in milvus.search(question, 5)]
        same += a[:3] == b[:3]
    assert same >= 0.95 * len(QUESTIONS), f"{same}/{len(QUESTIONS)} identical top-3"  # 36/37
    # a word only one chunk holds lifts that chunk to the top through the lexical leg
    for store in (local, milvus):
        top = store.search("Kinzhal", 3)
        assert "Kinzhal" in top[0].text
    milvus.close()


def test_killed_build_leaves_previous_build_serving(store_settings, kind):
    """kill -9 a real build process at random moments; the previous build must still serve."""
    emb = FakeEmbedder()
    small = store_settings.model_copy(update={"chunk_size": 50})
    store = open_store_for(small, emb)
    before = store.manifest["files"]
    question_hits = [(p.file, p.start_line) for p in store.search(QUESTIONS[0], 5)]
    store.close()  # a Lite file is locked by one process at a time
    for i in range(20):  # more text, so the build takes a while
        (small.docs / f"extra{i}.txt").write_text("\n\n".join(f"para {j} " * 8 for j in range(40)))
    script = Path(__file__).parent / "slow_store_build.py"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent.parent))
    rng = random.Random(7)
    for _ in range(3):
        proc = subprocess.Popen(
            [sys.executable, str(script), str(small.docs), str(small.index_dir), small.store],
            stdout=subprocess.PIPE,
            env=env,
        )
        assert proc.stdout.readline().strip() == b"start"
        time.sleep(rng.uniform(0.1, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        after = reopen(small, emb)
        assert after.manifest["files"] == before
        assert [(p.file, p.start_line) for p in after.search(QUESTIONS[0], 5)] == question_hits
        after.close()
    store = make_store(small, emb)
    report = store.build(rebuild=True)  # resumes or restarts, then publishes and cleans up
    assert "extra0.txt" in store.documents and report.chunks > 100
    if kind == "local":
        assert len(list(small.index_dir.glob("build-*"))) == 1
    else:
        assert len(store.client.list_collections()) == 2
    store.close()


def test_interrupted_milvus_build_is_resumed(settings, tmp_path):
    """Files a killed build finished are kept: the next build embeds only the rest."""
    small = settings.model_copy(update={"store": str(tmp_path / "m.db"), "chunk_size": 50})
    for i in range(20):
        (small.docs / f"extra{i}.txt").write_text("\n\n".join(f"para {j} " * 8 for j in range(40)))
    script = Path(__file__).parent / "slow_store_build.py"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent.parent))
    proc = subprocess.Popen(
        [sys.executable, str(script), str(small.docs), str(small.index_dir), small.store],
        stdout=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout.readline().strip() == b"start"
    done, total = map(int, proc.stdout.readline().split())  # a first group of files is in
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 0 < done < total
    store = make_store(small, FakeEmbedder())
    with pytest.raises(IndexMissingError):
        store.load()  # nothing was published
    report = store.build()
    assert report.chunks == total and report.embedded <= total - done
    assert len(store.documents) == 25
    store.close()
