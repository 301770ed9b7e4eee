"""The live index: articles added, changed, emptied or deleted are re-indexed incrementally and the
new build swapped into the running pipeline (a watcher thread under `qa serve`; a catch-up before
`qa ask` and `qa chat` answer)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from qa.build import BuildReport, build_index
from qa.drift import Drift, check_drift
from qa.errors import QAError

if TYPE_CHECKING:
    from qa.pipeline import Pipeline

log = logging.getLogger(__name__)


def catch_up(pipeline: Pipeline) -> tuple[Drift, BuildReport | None]:
    """Re-index what changed on disk since the pipeline's build and swap it in (None: nothing)."""
    drift = check_drift(pipeline.settings.docs, pipeline.store.manifest)
    if not drift.stale:
        return drift, None
    if hasattr(pipeline.store, "build"):  # a Store (Milvus): it updates and publishes itself
        store, before = pipeline.store, pipeline.store.path
        report = store.build()
        if store.path != before:
            pipeline.swap_store(store)
        return drift, report
    store, report = build_index(pipeline.settings, pipeline.embedder)
    if store.path != pipeline.store.path:
        pipeline.swap_store(store)
    return drift, report


class LiveIndex:
    """Watches a pipeline's articles folder and keeps its index in step, one build at a time."""

    def __init__(self, pipeline: Pipeline, debounce_ms: int = 300) -> None:
        self.pipeline = pipeline
        self.debounce_ms = debounce_ms
        self.updating = False
        self.watching = False
        self.builds = 0
        self.last_error = ""
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def build_id(self) -> str:
        """The folder name of the live build."""
        return self.pipeline.store.path.name

    def refresh(self) -> BuildReport | None:
        """Bring the index in step with the folder now (what the watcher calls on each change)."""
        with self._lock:
            self.updating = True
            try:
                drift, report = catch_up(self.pipeline)
                self.last_error = ""
            except QAError as exc:  # e.g. a full disk: the previous build keeps serving
                log.warning("live index: %s", exc)
                self.last_error, report = str(exc), None
            finally:
                self.updating = False
            if report is not None:
                self.builds += 1
                log.warning("live index: %s -> %s", report.summary(), self.build_id)
            return report

    def start(self) -> None:
        """Watch the folder in a daemon thread, catching up once the watch is set."""
        self._thread = threading.Thread(target=self._run, name="qa-live-index", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching (a build under way finishes first)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        from watchfiles import watch

        docs = self.pipeline.settings.docs.resolve()
        index_dir = self.pipeline.settings.index_dir.resolve()
        for changes in watch(
            docs,
            watch_filter=lambda _change, path: not Path(path).is_relative_to(index_dir),
            debounce=self.debounce_ms,
            stop_event=self._stop,
            ignore_permission_denied=True,
            yield_on_timeout=True,  # an empty first batch: the watch is set
            rust_timeout=500,
        ):
            if not changes and self.watching:
                continue
            self.watching = True  # from here on no change is missed; catch up with earlier ones
            try:
                self.refresh()
            except Exception:  # the watcher must outlive any one build
                log.exception("live index: build failed; the previous build keeps serving")
        self.watching = False


def announce(drift: Drift, report: BuildReport) -> str:
    """One line for stderr: what changed on disk and what the update did."""
    counts = ", ".join(
        f"{len(getattr(drift, k))} {k}"
        for k in ("added", "changed", "emptied", "deleted")
        if getattr(drift, k)
    )
    return f"articles changed since the index was built ({counts}); index updated: " + (
        report.summary()
    )
