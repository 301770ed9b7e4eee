"""Checksums written with every build, checked before any model loads: a damaged index is named
in one line and never served."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from qa.errors import IndexMissingError, IndexStaleError

FORMAT = 2  # of a build folder: segments (qa/segment.py) named by a manifest

REQUIRED = ("format", "fingerprint", "embedder", "dim", "docs", "files", "segments", "checksums")


# sha256 of files by (path, size, mtime): a build's unchanged segments are not hashed again
_hashed: dict[tuple, str] = {}


def verified_sha256(path: Path) -> str:
    """file_sha256, remembered in this process until the file's size or time changes."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _hashed:
        if len(_hashed) > 4096:
            _hashed.clear()
        _hashed[key] = file_sha256(path)
    return _hashed[key]


def file_sha256(path: Path) -> str:
    """sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def data_files(folder: Path, manifest: dict) -> list[str]:
    """Every data file a build uses, relative to the index folder: its own and its segments'."""
    from qa.segment import FILES

    names = [f"{folder.name}/rarity.json"]
    for seg in manifest.get("segments") or []:
        names += [f"segments/{seg['name']}/{f}" for f in FILES]
    return names


def problem(folder: Path, manifest: dict) -> str:
    """What is wrong with a build folder, or '' when its files match its manifest."""
    missing = [k for k in REQUIRED if k not in manifest]
    if missing:
        return f"manifest.json lacks {', '.join(missing)}"
    root = folder.parent
    for name in data_files(folder, manifest):
        if not (root / name).is_file():
            return f"{name} is missing"
    for name, sha in manifest["checksums"].items():
        if verified_sha256(root / name) != sha:
            return f"{name} does not match its checksum"
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
    try:
        manifest = json.loads((current / "manifest.json").read_text())
        names = data_files(current, manifest) if isinstance(manifest, dict) else []
    except (OSError, ValueError, TypeError, KeyError):
        names = []
    out = []
    for name in (*names, f"{current.name}/manifest.json"):
        try:
            st = (current.parent / name).stat()
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
    manifest = None
    try:
        manifest = json.loads((current / "manifest.json").read_text())
        found = "manifest.json is not an object" if not isinstance(manifest, dict) else ""
        found = found or problem(current, manifest)
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        found = f"manifest.json is unreadable ({type(exc).__name__}: {exc})"
    if isinstance(manifest, dict) and manifest.get("format") != FORMAT:
        raise IndexStaleError(
            f"index in {str(index_dir)!r} was written by another version of qa "
            f"(format {manifest.get('format')}, not {FORMAT}): run `qa index` to rebuild it"
        )
    if found:
        raise IndexMissingError(
            f"index in {str(index_dir)!r} is damaged: {found}; run `qa index --rebuild`"
        )
    if len(_whole) > 16:
        _whole.clear()
    _whole[key] = dict(manifest)
    return manifest
