"""The NumPy runtime of the bundled MiniLM gives sentence-transformers' vectors (cosine 0.999+)."""

import numpy as np

from qa.embed import NumpyEmbedder, SentenceTransformerEmbedder, load_embedder
from qa.settings import Settings

from .conftest import SEEDS


def test_numpy_vectors_equal_sentence_transformers_vectors():
    path = Settings().embedder_path()
    texts = [line for f in sorted(SEEDS.glob("*.txt")) for line in f.read_text().splitlines()]
    texts += ["", "x", "How many Kinzhal missiles?", "é ü 北京 Київ " * 300]  # over 256 tokens
    fast, reference = NumpyEmbedder(path), SentenceTransformerEmbedder(path)
    assert (fast.name, fast.dim) == (reference.name, reference.dim)  # the same index fingerprint
    a, b = fast.embed_batch(texts), reference.embed_batch(texts)
    assert a.dtype == np.float32 and a.shape == b.shape
    cosines = (a * b).sum(1)
    assert cosines.min() >= 0.999, (cosines.min(), texts[int(cosines.argmin())][:80])
    print(
        f"{len(texts)} texts: min cosine {cosines.min():.7f}, max |diff| {np.abs(a - b).max():.1e}"
    )


def test_auto_picks_numpy_for_the_bundled_minilm_and_torch_when_asked():
    path = Settings().embedder_path()
    assert isinstance(load_embedder(path), NumpyEmbedder)
    assert isinstance(load_embedder(path, runtime="torch"), SentenceTransformerEmbedder)
