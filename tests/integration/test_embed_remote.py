"""Embedding through a real engine process on loopback matches the local embedder."""

import os
import subprocess
import sys
import time

import httpx
import numpy as np
import pytest

from qa.chunk import chunk_document
from qa.corpus import read_corpus
from qa.embed import SentenceTransformerEmbedder
from qa.embed_remote import RemoteEmbedder
from qa.errors import IndexStaleError
from qa.settings import Settings
from qa.stores import make_store, open_store_for

from .conftest import ROOT, SEEDS, copy_seeds, free_port


@pytest.fixture(scope="module")
def engine():
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa.embed_server", "--port", str(port), "--threads", "1"], env=env
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("embedding engine did not start")
    yield f"{url}/v1"
    proc.terminate()
    proc.wait(timeout=30)


def test_remote_vectors_match_local(engine):
    texts = [c.text for d in read_corpus(SEEDS).documents for c in chunk_document(d)][:96]
    local = SentenceTransformerEmbedder(Settings().embedder_path(), 2)
    remote = RemoteEmbedder(engine, batch=8, concurrency=4)  # 12 requests, 4 in flight
    assert (remote.name, remote.dim) == (local.name, local.dim)
    a, b = local.embed_batch(texts), remote.embed_batch(texts)
    cosine = np.sum(a * b, axis=1)
    print(f"cosine remote vs local: min {cosine.min():.6f} over {len(texts)} chunks")
    assert cosine.min() >= 0.999
    remote.close()


def test_manifest_catches_another_embedder(engine, tmp_path):
    """An index built by one embedder is stale for an engine serving another dimension."""
    from tests.conftest import FakeEmbedder

    docs = copy_seeds(tmp_path / "docs")
    settings = Settings(docs=docs, index_dir=tmp_path / "index")
    open_store_for(settings, FakeEmbedder())
    remote = RemoteEmbedder(engine)
    with pytest.raises(IndexStaleError):
        make_store(settings, remote).load()
    remote.close()
