"""A small OpenAI-compatible embedding engine serving a local sentence-transformers folder.

    python -m qa.embed_server --port 8100 --workers 2

Each worker is a process with its own copy of the model; `qa --embed-url
http://127.0.0.1:8100/v1` (QA_EMBED_URL) sends it batches. For production, any
OpenAI-compatible engine (infinity-emb, vLLM, TEI) serving the same model does the same job.
"""

from __future__ import annotations

import argparse
import os

from fastapi import FastAPI
from pydantic import BaseModel, Field

from qa.embed import SentenceTransformerEmbedder
from qa.settings import Settings


class EmbeddingRequest(BaseModel):
    """The OpenAI embeddings request (token-id input is not supported)."""

    input: str | list[str] = Field(description="Text or texts to embed.")
    model: str = Field("", description="Ignored: the server has one model.")
    encoding_format: str = Field("float", description="Only float is supported.")


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app, with the embedder of settings (QA_EMBEDDER, QA_THREADS) loaded."""
    settings = settings or Settings()
    embedder = SentenceTransformerEmbedder(settings.embedder_path(), settings.threads)
    app = FastAPI(title="qa embedding engine")
    app.state.embedder = embedder

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "model": embedder.name, "dim": embedder.dim}

    @app.get("/v1/models")
    def models() -> dict:
        return {"object": "list", "data": [{"id": embedder.name, "object": "model"}]}

    @app.post("/v1/embeddings")
    def embeddings(request: EmbeddingRequest) -> dict:
        texts = [request.input] if isinstance(request.input, str) else request.input
        vectors = embedder.embed_batch(texts)  # a sync route: runs in the threadpool
        return {
            "object": "list",
            "model": embedder.name,
            "data": [
                {"object": "embedding", "index": i, "embedding": v.tolist()}
                for i, v in enumerate(vectors)
            ],
            "usage": {"prompt_tokens": 0, "total_tokens": 0},
        }

    return app


def main() -> None:
    """Serve the embedder over HTTP."""
    parser = argparse.ArgumentParser(prog="python -m qa.embed_server", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--workers", type=int, default=1, help="Processes, each with the model.")
    parser.add_argument("--threads", type=int, default=1, help="Torch threads per worker.")
    parser.add_argument("--embedder", default="", help="Model folder; default the bundled MiniLM.")
    args = parser.parse_args()
    import uvicorn

    # workers are new processes: they read their settings from the environment
    os.environ["QA_THREADS"] = str(args.threads)
    if args.embedder:
        os.environ["QA_EMBEDDER"] = args.embedder
    uvicorn.run(
        "qa.embed_server:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
