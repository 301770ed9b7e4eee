"""Updates write small segments and mark old rows dead; searches over segments are the searches
of one fresh build (corpus-wide BM25 statistics, exact vectors), and segments merge past a share."""

import json

import numpy as np
from conftest import FakeEmbedder

from qa.build import build_index
from qa.lexical import bm25, tokens
from qa.retrieve import Retriever
from qa.settings import Settings

TOPICS = ["harbour ferry strike", "school budget vote", "river flood warning", "stadium roof",
          "bus fare rise", "library hours", "bridge repair", "market fire", "park concert",
          "airport noise", "hospital waiting list", "tram extension"]  # fmt: skip
QUESTIONS = ["When does the ferry strike end?", "How much was the budget?", "flood warning river",
             "Who repaired the bridge?", "noise near the airport at night"]  # fmt: skip


WORDS = ("council mayor police court night week report residents plan cost delay union pay "
         "price engineers crews weather storm water road station ticket inspector museum ward "
         "nurses doctors lawyers judges fans club season match").split()  # fmt: skip


def write(docs, i, topic, version=0):
    """An article of six paragraphs, each the topic and its own draw of words (no two alike)."""
    rng = np.random.default_rng([i, version])
    body = "\n\n".join(
        f"The {topic} {' '.join(rng.choice(WORDS, 7))}, version {version}, figure {i * j}."
        for j in range(6)
    )
    (docs / f"a{i:02d}.txt").write_text(f"{topic.title()}\n\n{body}\n")


def index(tmp_path, name="index", docs=None):
    docs = docs or tmp_path / "docs"
    return Settings(docs=docs, index_dir=tmp_path / name, chunk_size=80)


def built(tmp_path):
    """Twelve articles, indexed: (their folder, the settings, the embedder)."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for i, topic in enumerate(TOPICS):
        write(docs, i, topic)
    settings, emb = index(tmp_path), FakeEmbedder()
    build_index(settings, emb)
    return docs, settings, emb


def segments(settings):
    return json.loads((settings.index_dir / "current" / "manifest.json").read_text())["segments"]


def searches(store, emb):
    out = []
    for q in QUESTIONS:
        found = Retriever(store, emb).search(q, 5)
        out.append([(p.file, p.start_line, p.text, round(p.score, 4), round(p.lexical, 3))
                    for p in found])  # fmt: skip
    return out


def test_an_update_adds_a_segment_and_searches_like_a_fresh_build(tmp_path):
    docs, settings, emb = built(tmp_path)
    write(docs, 3, "bridge collapse inquiry", version=1)  # one file of twelve changes
    store, report = build_index(settings, emb)
    assert report.changed == ["a03.txt"] and not report.merged
    parts = segments(settings)
    assert len(parts) == 2 and parts[0]["dead"] == [3] and parts[1]["dead"] == []
    assert "version 1" in store.documents["a03.txt"].lines[2]
    old_rows = [c for c in store.chunks if "stadium roof" in c.text.lower()]
    assert not old_rows  # the old rows are dead
    fresh, _ = build_index(index(tmp_path, "fresh"), emb)
    assert len(fresh.chunks) == len(store.chunks)
    assert searches(store, emb) == searches(fresh, emb)
    assert store.rarity_counts == fresh.rarity_counts and store.line_total == fresh.line_total


def test_small_segments_merge_past_a_quarter_and_removed_files_go(tmp_path):
    docs, settings, emb = built(tmp_path)
    write(docs, 0, "ferry timetable", version=1)
    build_index(settings, emb)
    assert len(segments(settings)) == 2
    for i in (1, 2, 4):
        write(docs, i, TOPICS[i], version=2)
    (docs / "a05.txt").unlink()
    store, report = build_index(settings, emb)
    assert report.merged and len(segments(settings)) == 1 and segments(settings)[0]["dead"] == []
    assert "a05.txt" not in store.documents and len(store.documents) == 11
    assert len(list((settings.index_dir / "segments").iterdir())) == 1  # the rest removed
    fresh, _ = build_index(index(tmp_path, "fresh"), emb)
    assert searches(store, emb) == searches(fresh, emb)


def test_bm25_matches_bm25s():
    """The scores of bm25s (the library the index used before segments) for the same texts."""
    import bm25s

    texts = [f"{t} in the city, said the mayor on {d}" for t in TOPICS for d in ("Monday", "May")]
    from qa.lexical import Postings, term_matrix

    matrix, terms, lengths = term_matrix(texts)
    post = Postings(matrix, terms, lengths)
    ref = bm25s.BM25()
    ref.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)
    for q in ["ferry strike Monday", "the mayor said", "flood flood warning", "nothing here"]:
        ours = bm25(q, [(post, None)], float(lengths.mean()), len(texts))[0]
        words = tokens(q) or [""]
        assert np.allclose(ours, ref.get_scores(words), atol=1e-5), q
