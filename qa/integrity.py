"""Checksums written with every build, checked before any model loads: a damaged index is named
in one line and never served."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from qa.errors import IndexMissingError

DATA_FILES = ("chunks.jsonl", "documents.jsonl", "vectors.npy", "faiss.index")
REQUIRED = ("format", "fingerprint", "embedder", "dim", "docs", "files")


def file_sha256(path: Path) -> str:
    """sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def checksums(folder: Path) -> dict[str, str]:
    """sha256 of each data file of a build folder, for its manifest."""
    return {name: file_sha256(folder / name) for name in DATA_FILES}


def count_lines(path: Path) -> int:
    """Newline-terminated rows in a file."""
    with open(path, "rb") as fh:
        return sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))


def vector_shape(path: Path) -> tuple[int, ...]:
    """The shape in a .npy header, without reading the array."""
    with open(path, "rb") as fh:
        fmt = np.lib.format
        major, _ = fmt.read_magic(fh)
        read = fmt.read_array_header_1_0 if major == 1 else fmt.read_array_header_2_0
        shape, _, _ = read(fh)
    return tuple(shape)


def problem(folder: Path, manifest: dict) -> str:
    """What is wrong with a build folder, or '' when its files match its manifest."""
    missing = [k for k in REQUIRED if k not in manifest]
    if missing:
        return f"manifest.json lacks {', '.join(missing)}"
    for name in DATA_FILES:
        if not (folder / name).is_file():
            return f"{name} is missing"
    expected = manifest.get("checksums") or {}
    for name, sha in expected.items():
        if name in DATA_FILES and file_sha256(folder / name) != sha:
            return f"{name} does not match its checksum"
    rows = manifest.get("rows") or {}
    for name, key in (("chunks.jsonl", "chunks"), ("documents.jsonl", "documents")):
        if key in rows and count_lines(folder / name) != rows[key]:
            return f"{name} has {count_lines(folder / name)} rows, not {rows[key]}"
    try:
        shape = vector_shape(folder / "vectors.npy")
    except (OSError, ValueError, EOFError) as exc:
        return f"vectors.npy is unreadable ({exc or 'empty'})"
    chunks = rows.get("chunks", count_lines(folder / "chunks.jsonl"))
    if shape != (chunks, manifest["dim"]):
        return f"vectors.npy holds {shape}, not ({chunks}, {manifest['dim']})"
    return ""


def validate(index_dir: Path) -> dict:
    """The current build's manifest when the build is whole; IndexMissingError naming the
    damage otherwise. Reads no model."""
    current = index_dir / "current"
    if not current.exists():
        raise IndexMissingError(f"no index in {str(index_dir)!r}: run `qa index`")
    return check_build(index_dir, current.resolve())


def stamp(current: Path) -> tuple:
    """Size and modification time of each file of a build: what a rewrite would change."""
    out = []
    for name in (*DATA_FILES, "manifest.json"):
        try:
            st = (current / name).stat()
            out.append((name, st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((name, -1, -1))
    return (str(current), *out)


# builds already found whole in this process, by stamp: start-up checks a build once, not twice
_whole: dict[tuple, dict] = {}


def check_build(index_dir: Path, current: Path) -> dict:
    """The manifest of one build folder of index_dir, or IndexMissingError naming the damage."""
    key = stamp(current)
    if key in _whole:
        return dict(_whole[key])
    try:
        manifest = json.loads((current / "manifest.json").read_text())
        found = "manifest.json is not an object" if not isinstance(manifest, dict) else ""
        found = found or problem(current, manifest)
    except (OSError, ValueError, TypeError) as exc:
        found = f"manifest.json is unreadable ({exc})"
    if found:
        raise IndexMissingError(
            f"index in {str(index_dir)!r} is damaged: {found}; run `qa index --rebuild`"
        )
    if len(_whole) > 16:
        _whole.clear()
    _whole[key] = dict(manifest)
    return manifest
