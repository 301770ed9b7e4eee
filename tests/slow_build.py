"""Run by test_store: build an index with a slow fake embedder until killed."""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from conftest import FakeEmbedder  # noqa: E402

from qa.settings import Settings  # noqa: E402
from qa.store import build_index  # noqa: E402


class SlowEmbedder(FakeEmbedder):
    def embed_batch(self, texts):
        time.sleep(0.02)
        return super().embed_batch(texts)


if __name__ == "__main__":
    settings = Settings(docs=Path(sys.argv[1]), index_dir=Path(sys.argv[2]), chunk_size=50)
    print("start", flush=True)
    build_index(settings, SlowEmbedder(), rebuild=True)
    print("done", flush=True)
