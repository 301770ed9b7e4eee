from qa.models import reader_for, record


def row(answerable: bool, correct: bool = False, abstained: bool = False) -> dict:
    return {"answerable": answerable, "correct": correct, "abstained": abstained}


def test_auto_reads_with_the_reader_eval_measured_best(tmp_path):
    assert reader_for("qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", tmp_path) == "model"  # table
    assert reader_for("unknown.gguf", tmp_path) == "spans"
    record(tmp_path, "unknown.gguf", "spans", [row(True, True), row(False, abstained=False)])
    record(tmp_path, "unknown.gguf", "model", [row(True, True), row(False, abstained=True)])
    assert reader_for("/any/where/unknown.gguf", tmp_path) == "model"
    record(tmp_path, "unknown.gguf", "model", [row(True), row(False)])
    assert reader_for("unknown.gguf", tmp_path) == "spans"
