"""Start-time benchmark (not a test): `qa serve` until /health is 200, and a whole cold `qa ask`.

    python tests/start_time.py [--runs 5] [--root DIR]

Each run is a new process over a copy of the seeds indexed beforehand; prints the medians (s).
--root runs the `qa` of another checkout (its folder is the working directory of `python -m qa`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from integration.conftest import ROOT, copy_seeds, free_port  # noqa: E402

QUESTION = "How many Kinzhal missiles did Ukraine say it shot down over Kyiv?"


def ready_seconds(env: dict[str, str], root: Path) -> float:
    """Seconds from spawning `qa serve` to its first /health 200."""
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa", "serve", "--port", str(port)],
        env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        while proc.poll() is None and time.perf_counter() - started < 120:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    return time.perf_counter() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError("qa serve did not become ready")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def ask_seconds(env: dict[str, str], root: Path) -> float:
    """Wall time of one whole `qa ask` process."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "qa", "ask", QUESTION], env=env, cwd=root, capture_output=True
    )
    assert result.returncode == 0, result.stderr
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="qa-start-"))
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "QA_DOCS": str(copy_seeds(base / "docs")),
        "QA_INDEX_DIR": str(base / "index"),
    }
    env.pop("PYTHONPATH", None)
    built = subprocess.run([sys.executable, "-m", "qa", "index"], env=env, cwd=args.root)
    assert built.returncode == 0
    ready = [ready_seconds(env, args.root) for _ in range(args.runs)]
    ask = [ask_seconds(env, args.root) for _ in range(args.runs)]
    print(json.dumps({
        "root": str(args.root),
        "serve_ready_median_s": round(statistics.median(ready), 2),
        "ask_cold_median_s": round(statistics.median(ask), 2),
        "serve_ready_s": [round(x, 2) for x in ready],
        "ask_cold_s": [round(x, 2) for x in ask],
    }))  # fmt: skip


if __name__ == "__main__":
    main()
