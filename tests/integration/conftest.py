"""Real components: the embedded models, real subprocesses, a real uvicorn server on loopback."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"


def pytest_collection_modifyitems(items):
    for item in items:
        if "integration" in str(item.fspath):
            item.add_marker(pytest.mark.slow)


def qa(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the real `qa` command line."""
    return subprocess.run(
        [sys.executable, "-m", "qa", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
    )


def copy_seeds(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for f in SEEDS.glob("*.txt"):
        shutil.copyfile(f, folder / f.name)
    return folder


@pytest.fixture(scope="session")
def built(tmp_path_factory, request) -> dict[str, str]:
    """Environment pointing at a copy of the seeds with its index built once, in the local
    store or (pytest --store milvus) in a Milvus Lite file."""
    base = tmp_path_factory.mktemp("corpus")
    env = {"QA_DOCS": str(copy_seeds(base / "docs")), "QA_INDEX_DIR": str(base / "index")}
    if request.config.getoption("--store") == "milvus":
        env["QA_STORE"] = str(base / "milvus.db")
    result = qa("index", env=env)
    assert result.returncode == 0, result.stderr
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`qa serve` in a subprocess on a free loopback port."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        lite = env.get("QA_STORE", "")
        if lite.endswith(".db") and Path(lite).exists():  # Milvus Lite: one process per file
            copy = Path(lite).with_name(f"milvus-{self.port}.db")
            shutil.copytree(lite, copy)
            env = {**env, "QA_STORE": str(copy)}
        self.log = open(Path(env["QA_INDEX_DIR"]).parent / f"server-{self.port}.log", "w+")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "qa", "serve", "--port", str(self.port)],
            env={**os.environ, **env},
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"server exited: {self.log.read()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError("server did not become ready")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture(scope="session")
def server(built):
    s = Server(built)
    yield s
    s.stop()


def index_file(index_dir: Path | str, name: str) -> Path:
    """A file of the current local build (manifest.json, rarity.json) or of its first segment."""
    import json

    current = Path(index_dir) / "current"
    if (current / name).exists():
        return current / name
    manifest = json.loads((current / "manifest.json").read_text())
    return Path(index_dir) / "segments" / manifest["segments"][0]["name"] / name


@pytest.fixture
def store_env(request, tmp_path) -> dict[str, str]:
    """QA_STORE for the store under test (pytest --store milvus); nothing for the local files."""
    if request.config.getoption("--store") == "milvus":
        return {"QA_STORE": str(tmp_path / "milvus.db")}
    return {}
