"""Answers never cite a line that changed on disk; `check_drift` names what changed."""

import os

from conftest import FakeEmbedder

from qa.build import build_index
from qa.drift import check_drift, freshen, up_to_date

KINZHAL = "000_0d498ca450f5f7ad.txt"
QUESTION = "How many Kinzhal missiles did Ukraine say it shot down over Kyiv?"


def answered(pipeline):
    pipeline.generator.enqueue("six")
    answer = pipeline.ask(QUESTION)
    assert not answer.abstained and answer.citations[0].file == KINZHAL
    return answer


def test_fresh_answer_is_not_stale(fake_pipeline):
    assert not answered(fake_pipeline).stale


def test_lines_deleted_above_the_cited_line_drop_the_citation(fake_pipeline):
    path = fake_pipeline.settings.docs / KINZHAL
    path.write_text("".join(path.read_text().splitlines(keepends=True)[3:]))
    fake_pipeline.generator.enqueue("six")
    answer = fake_pipeline.ask(QUESTION)
    assert answer.stale and answer.abstained and answer.citations == []
    assert f"{KINZHAL}:" in answer.abstain_reason and "qa index" in answer.abstain_reason


def test_deleted_file_is_never_cited(fake_pipeline):
    (fake_pipeline.settings.docs / KINZHAL).unlink()
    fake_pipeline.generator.enqueue("six")
    answer = fake_pipeline.ask(QUESTION)
    assert answer.stale and answer.abstained and answer.citations == []


def test_change_elsewhere_in_the_file_keeps_the_citation_but_flags_it(fake_pipeline):
    path = fake_pipeline.settings.docs / KINZHAL
    path.write_text(path.read_text() + "\nA line added at the end.\n")
    fake_pipeline.generator.enqueue("six")
    answer = fake_pipeline.ask(QUESTION)
    assert answer.stale and not answer.abstained and answer.citations


def test_freshen_reads_the_recorded_encoding(fake_pipeline):
    docs = fake_pipeline.settings.docs
    (docs / "latin.txt").write_bytes(b"Title\n\nThe caf\xe9 served six dishes.\n")
    store, report = build_index(fake_pipeline.settings, fake_pipeline.embedder)
    assert report.decoded == [("latin.txt", "cp1252")]
    assert store.documents["latin.txt"].lines[2] == "The café served six dishes."
    answer = answered(fake_pipeline)
    answer.citations[0] = answer.citations[0].model_copy(
        update={"file": "latin.txt", "start_line": 3, "end_line": 3, "quote": "café served"}
    )
    freshen(answer, docs, store.manifest)
    assert not answer.stale and answer.citations


def test_check_drift_names_added_changed_emptied_deleted(settings):
    store, _ = build_index(settings, FakeEmbedder())
    assert not check_drift(settings.docs, store.manifest).stale
    assert up_to_date(settings.model_copy(update={"embedder": "/x/fake-embedder"}))
    files = sorted(settings.docs.iterdir())
    files[0].write_text(files[0].read_text() + "more\n")
    files[1].write_bytes(b"")
    files[2].unlink()
    (settings.docs / "new.md").write_text("# New\n")
    os.utime(files[3], ns=(1, 1))  # touched, same bytes: not a change
    drift = check_drift(settings.docs, store.manifest)
    assert drift.changed == [files[0].name] and drift.emptied == [files[1].name]
    assert drift.deleted == [files[2].name] and drift.added == ["new.md"]
    assert drift.stale


def test_emptied_file_is_removed_from_the_index(settings):
    emb = FakeEmbedder()
    store, _ = build_index(settings, emb)
    assert any(c.file == KINZHAL for c in store.chunks)
    (settings.docs / KINZHAL).write_bytes(b"")
    store, report = build_index(settings, emb)
    assert report.emptied == [KINZHAL] and report.embedded == 0
    assert not any(c.file == KINZHAL for c in store.chunks)
    assert store.documents[KINZHAL].lines == ()
    assert not check_drift(settings.docs, store.manifest).stale
