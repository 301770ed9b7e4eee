"""Run by test_stores: rebuild a store (local or a Milvus Lite file) with a slow fake embedder
until killed."""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from conftest import FakeEmbedder  # noqa: E402

from qa.settings import Settings  # noqa: E402
from qa.stores import make_store  # noqa: E402


class SlowEmbedder(FakeEmbedder):
    def embed_batch(self, texts):
        time.sleep(0.002 * len(texts))
        return super().embed_batch(texts)


if __name__ == "__main__":
    docs, index_dir, where = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    settings = Settings(docs=docs, index_dir=index_dir, store=where, chunk_size=50)
    store = make_store(settings, SlowEmbedder())
    print("start", flush=True)
    store.build(rebuild=True, progress=lambda done, total: print(done, total, flush=True))
    print("done", flush=True)
