"""Run by test_store: build an index with a slow fake embedder until killed (or, given a number
of batches, until the process dies by itself after that many, as abruptly as kill -9)."""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from conftest import FakeEmbedder  # noqa: E402

from qa.build import build_index  # noqa: E402
from qa.settings import Settings  # noqa: E402


class SlowEmbedder(FakeEmbedder):
    def __init__(self, die_after: int = 0) -> None:
        super().__init__()
        self.die_after, self.batches = die_after, 0

    def embed_batch(self, texts):
        if self.die_after and self.batches == self.die_after:
            os._exit(9)  # no clean-up of any kind
        self.batches += 1
        time.sleep(0.02)
        return super().embed_batch(texts)


if __name__ == "__main__":
    settings = Settings(docs=Path(sys.argv[1]), index_dir=Path(sys.argv[2]), chunk_size=50)
    die_after = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    print("start", flush=True)
    build_index(settings, SlowEmbedder(die_after), rebuild=True)
    print("done", flush=True)
