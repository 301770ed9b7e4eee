"""Embedders turn texts into unit vectors; the default wraps a local sentence-transformers model."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from qa.errors import ModelUnavailableError


def set_offline() -> None:
    """Make any hub download impossible in this process."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def embedder_name(path: str) -> str:
    """The name an embedder folder is known by in manifests (known without loading it)."""
    folder = Path(path)
    return folder.name if folder.name != "model" else folder.parent.name


class Embedder(Protocol):
    """Anything that embeds a batch of texts into L2-normalised float32 rows."""

    name: str
    dim: int

    def embed_batch(self, texts: list[str]) -> np.ndarray: ...


def load_embedder(path: str, threads: int = 2, runtime: str = "auto") -> Embedder:
    """The embedder of a local folder: NumPy for a BERT it reproduces exactly (no torch to
    import) when runtime is auto or numpy, else sentence-transformers."""
    from qa.bert import supported

    if runtime == "numpy" or (runtime == "auto" and path and supported(Path(path))):
        return NumpyEmbedder(path, threads)
    return SentenceTransformerEmbedder(path, threads)


class NumpyEmbedder:
    """A sentence-transformers BERT folder run by qa.bert: the same vectors, no torch."""

    def __init__(self, path: str, threads: int = 2) -> None:
        from qa.bert import BertEncoder, supported

        folder = Path(path)
        if not path or not folder.is_dir():
            raise ModelUnavailableError(f"embedder folder {path!r} does not exist")
        if not supported(folder):
            raise ModelUnavailableError(f"{path!r} is not a BERT the NumPy runtime reproduces")
        from threadpoolctl import threadpool_limits

        # one BLAS thread per call: requests run side by side, and BLAS threads spinning
        # against each other on a busy machine made a batch 20x slower
        threadpool_limits(limits=1, user_api="blas")
        self.slots = threading.BoundedSemaphore(max(1, threads))
        self.encoder = BertEncoder(folder)
        self.name, self.dim = embedder_name(path), self.encoder.dim
        self.path, self.threads = path, threads

    def bulk(self) -> Embedder:
        """The embedder for thousands of texts at once (a build): sentence-transformers on
        every thread when it is installed (the same vectors; on 2 cores 98.6 chunks/s against
        29.3 for this one, which keeps to one BLAS thread so that requests run side by side),
        else this one."""
        try:
            return SentenceTransformerEmbedder(self.path, self.threads)
        except (ImportError, ModelUnavailableError):
            return self

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        """Embed texts as unit vectors."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self.slots:
            return self.encoder.encode(texts)


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local folder only."""

    def __init__(self, path: str, threads: int = 2) -> None:
        set_offline()
        folder = Path(path)
        if not path or not folder.is_dir():
            raise ModelUnavailableError(f"embedder folder {path!r} does not exist")
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.utils.logging.disable_progress_bar()

        torch.set_num_threads(threads)
        self.slots = threading.BoundedSemaphore(max(1, threads))
        try:
            self.model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        except Exception as exc:  # any load failure means the folder is not a usable model
            raise ModelUnavailableError(f"cannot load embedder from {path!r}: {exc}") from exc
        self.name = embedder_name(path)
        get_dim = getattr(self.model, "get_embedding_dimension", None) or (
            self.model.get_sentence_embedding_dimension
        )
        self.dim = int(get_dim())

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        """Embed texts as unit vectors."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self.slots:  # more concurrent torch calls than cores only add memory
            vectors = self.model.encode(
                texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True
            )
        return np.asarray(vectors, dtype=np.float32)
