"""The real pipeline (retrieve -> read -> policy -> cite) over each store gives the same answers.

Until the pipeline takes a Store itself (the lead wires `open_store_for` into
`Pipeline.from_settings`), the test builds it on the local files and then hands it the store to
search, read and quote from: every step after construction is the pipeline's own code.
"""

import json

from qa.embed import SentenceTransformerEmbedder
from qa.pipeline import Pipeline, make_generator
from qa.settings import Settings
from qa.stores import open_store_for

from .conftest import ROOT, copy_seeds

GOLD = ROOT / "tests" / "gold" / "dev.jsonl"


def over(store, settings, embedder, generator, local) -> Pipeline:
    pipeline = Pipeline(settings, local.loaded, embedder, generator)
    pipeline.swap_store(store)  # a store that is not the local files searches itself
    return pipeline


def test_answers_and_citations_match_across_stores(tmp_path):
    docs = copy_seeds(tmp_path / "docs")
    settings = Settings(docs=docs, index_dir=tmp_path / "index")
    embedder = SentenceTransformerEmbedder(settings.embedder_path(), settings.threads)
    generator = make_generator(settings)
    local = open_store_for(settings, embedder)
    milvus = open_store_for(settings.model_copy(update={"store": str(tmp_path / "m.db")}), embedder)
    pipes = [over(s, settings, embedder, generator, local) for s in (local, milvus)]
    questions = [json.loads(line)["question"] for line in GOLD.read_text().splitlines()]
    same, differ = 0, []
    for q in questions:
        a, b = (p.ask(q) for p in pipes)
        key = [(x.answer, x.abstained, [c.model_dump() for c in x.citations]) for x in (a, b)]
        same += key[0] == key[1]
        if key[0] != key[1]:
            differ.append((q, key))
    print(f"identical answers and citations: {same}/{len(questions)}")
    assert same >= 0.95 * len(questions), differ
    milvus.close()
