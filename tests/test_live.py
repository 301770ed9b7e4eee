"""The live index: catch-up before answering, the swap under running asks, the watcher."""

import threading
import time
from pathlib import Path

from qa.live import LiveIndex, announce, catch_up

KINZHAL = "000_0d498ca450f5f7ad.txt"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_catch_up_reindexes_only_what_changed_and_swaps(fake_pipeline, settings):
    assert catch_up(fake_pipeline)[1] is None  # nothing changed: no build
    before = fake_pipeline.store.path
    edit(settings.docs / KINZHAL, "Kinzhal", "Zircon")
    (settings.docs / "new.txt").write_text("A new article.\n\nIt names Ruritania.\n")
    drift, report = catch_up(fake_pipeline)
    assert drift.changed == [KINZHAL] and drift.added == ["new.txt"]
    assert report.embedded and len(report.unchanged) == len(fake_pipeline.store.documents) - 2
    assert fake_pipeline.store.path != before
    assert "Zircon" in "\n".join(fake_pipeline.store.documents[KINZHAL].lines)
    assert fake_pipeline.retriever.store is fake_pipeline.store
    assert fake_pipeline.lines.store is fake_pipeline.store
    line = announce(drift, report)
    assert "\n" not in line and "1 added, 1 changed" in line


def test_an_ask_under_way_keeps_its_build_while_new_asks_take_the_new_one(fake_pipeline, settings):
    old = fake_pipeline.store
    edit(settings.docs / KINZHAL, "Kinzhal", "Zircon")
    seen: dict[str, object] = {}
    with fake_pipeline.pinned():
        swapper = threading.Thread(target=lambda: seen.update(report=catch_up(fake_pipeline)))
        swapper.start()
        swapper.join()
        assert fake_pipeline.store is old and fake_pipeline.retriever.store is old
        other = threading.Thread(target=lambda: seen.update(store=fake_pipeline.store))
        other.start()
        other.join()
        assert seen["store"] is not old  # a new ask sees the new build
    assert fake_pipeline.store is seen["store"]
    assert fake_pipeline.lines.store is seen["store"]


def test_answers_come_from_the_new_build_after_a_swap(fake_pipeline, settings):
    fake_pipeline.generator.enqueue("Zircon")
    edit(settings.docs / KINZHAL, "Kinzhal", "Zircon")
    catch_up(fake_pipeline)
    answer = fake_pipeline.ask("How many Zircon missiles did Ukraine say it shot down over Kyiv?")
    assert not answer.stale
    assert any(p.file == KINZHAL and "Zircon" in p.text for p in answer.retrieved)


def wait_for(condition, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_the_watcher_rebuilds_on_edit_and_on_delete(fake_pipeline, settings):
    live = LiveIndex(fake_pipeline, debounce_ms=50)
    live.start()
    try:
        assert wait_for(lambda: live.watching and not live.updating)
        first = live.build_id
        edit(settings.docs / KINZHAL, "Kinzhal", "Zircon")
        assert wait_for(lambda: live.build_id != first), "no build after an edit"
        assert "Zircon" in "\n".join(fake_pipeline.store.documents[KINZHAL].lines)
        second = live.build_id
        (settings.docs / KINZHAL).unlink()
        assert wait_for(lambda: live.build_id != second), "no build after a delete"
        assert KINZHAL not in fake_pipeline.store.documents
    finally:
        live.stop()
