"""Embeddings from an OpenAI-compatible /v1/embeddings engine, several requests in flight."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np

from qa.embed import Embedder, load_embedder
from qa.errors import ModelUnavailableError
from qa.settings import Settings


class RemoteEmbedder:
    """An Embedder whose vectors come from a server; its name and dimension are the server's, so
    an index built with another model or dimension is caught by the manifest's fingerprint."""

    def __init__(
        self,
        url: str,
        model: str = "",
        api_key: str = "",
        batch: int = 64,
        concurrency: int = 4,
        timeout: float = 120.0,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        self.url = url.rstrip("/")
        self.client = httpx.Client(timeout=timeout, headers=headers, limits=limits)
        self.model, self.batch, self.concurrency = model, batch, concurrency
        self.pool = ThreadPoolExecutor(concurrency, thread_name_prefix="embed")
        probe, served = self._post(["dimension probe"])
        self.dim = int(probe.shape[1])
        self.name = model or served  # the model the server says it ran

    def _post(self, texts: list[str]) -> tuple[np.ndarray, str]:
        body = {"input": texts, "model": self.model or "default", "encoding_format": "float"}
        try:
            response = self.client.post(f"{self.url}/embeddings", json=body)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ModelUnavailableError(f"embedding engine at {self.url}: {exc}") from exc
        rows = sorted(data["data"], key=lambda d: d["index"])
        vectors = np.asarray([r["embedding"] for r in rows], dtype=np.float32)
        if len(vectors) != len(texts):
            raise ModelUnavailableError(
                f"embedding engine at {self.url} returned {len(vectors)} vectors for {len(texts)}"
            )
        return vectors, str(data.get("model", ""))

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        """Embed texts as unit vectors, `batch` per request, `concurrency` requests at once."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [texts[i : i + self.batch] for i in range(0, len(texts), self.batch)]
        vectors = np.vstack([v for v, _ in self.pool.map(self._post, parts)])
        if vectors.shape[1] != self.dim:
            raise ModelUnavailableError(
                f"embedding engine at {self.url} changed dimension: "
                f"{vectors.shape[1]} != {self.dim}"
            )
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)  # engines need not normalise

    def close(self) -> None:
        """Close connections and the request threads."""
        self.pool.shutdown()
        self.client.close()


def make_embedder(settings: Settings) -> Embedder:
    """The engine at settings.embed_url, else the local sentence-transformers model."""
    if settings.embed_url:
        return RemoteEmbedder(
            settings.embed_url,
            settings.embed_model,
            settings.llm_api_key,
            settings.embed_batch,
            settings.embed_concurrency,
            settings.request_timeout,
        )
    return load_embedder(settings.embedder_path(), settings.threads, settings.embedder_runtime)
