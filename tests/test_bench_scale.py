from collections import Counter

from typer.testing import CliRunner

from qa.bench_scale import SyntheticEmbedder, make_corpus
from qa.cli import app


def test_synthetic_corpus_has_the_lines_asked_and_zipf_words(tmp_path):
    files = make_corpus(tmp_path, 1000)
    texts = [f.read_text() for f in sorted(tmp_path.iterdir())]
    assert files == len(texts) == 5
    assert sum(len(t.splitlines()) for t in texts) == 1000
    words = Counter(w.lower().strip(".") for t in texts for w in t.split())
    counts = [c for _, c in words.most_common()]
    assert len(words) > 2000 and counts[0] > 20 * counts[100]  # a long tail, a few common words
    vectors = SyntheticEmbedder().embed_batch(["the zipf law", "the zipf law", "other words"])
    assert abs(float(vectors[0] @ vectors[1]) - 1) < 1e-5 and float(vectors[0] @ vectors[2]) < 0.9


def test_bench_scale_prints_a_row_per_store_and_size(tmp_path):
    out = tmp_path / "scale.json"
    result = CliRunner().invoke(
        app,
        ["bench", "--scale", "--scale-sizes", "2000", "--embed-sample", "0", "--out", str(out)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "qa bench --scale" in result.output
    import json

    rows = json.loads(out.read_text())["stores"]
    assert [(r["lines"], r["store"]) for r in rows] == [(2000, "local"), (2000, "milvus")]
    assert all(r["recall@10"] == 1.0 and r["search_p50_ms"] > 0 for r in rows)
