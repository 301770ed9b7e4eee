"""`qa bench`: load times, index build, embedding throughput, ANN search, and per-question speed.

A benchmark, not a test: it prints figures and never fails on them.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from qa.evaluate import percentile
from qa.pipeline import Pipeline
from qa.settings import Settings


def _timed(fn: Callable, *args, **kw) -> tuple[object, float]:
    started = time.perf_counter()
    out = fn(*args, **kw)
    return out, (time.perf_counter() - started) * 1000


def search_bench(dim: int, sizes: list[int], queries: int = 200, k: int = 10) -> list[dict]:
    """Flat vs HNSW vs IVF on random unit vectors: median ms per query and recall@k vs flat."""
    import faiss

    rng = np.random.default_rng(0)
    rows = []
    for n in sizes:
        # clustered like real text embeddings (uniform random vectors are ANN's worst case)
        centers = rng.standard_normal((max(n // 100, 10), dim), dtype=np.float32)
        data = centers[rng.integers(0, len(centers), n)] + 0.6 * rng.standard_normal(
            (n, dim), dtype=np.float32
        )
        data /= np.linalg.norm(data, axis=1, keepdims=True)
        q = data[rng.choice(n, queries, replace=False)] + 0.05 * rng.standard_normal(
            (queries, dim), dtype=np.float32
        )
        q /= np.linalg.norm(q, axis=1, keepdims=True)
        flat = faiss.IndexFlatIP(dim)
        flat.add(data)
        hnsw = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efSearch = 64
        ivf_quant = faiss.IndexFlatIP(dim)
        ivf = faiss.IndexIVFFlat(ivf_quant, dim, int(np.sqrt(n)), faiss.METRIC_INNER_PRODUCT)
        ivf.train(data)
        ivf.nprobe = 8
        truth = None
        for name, index in (("flat", flat), ("hnsw", hnsw), ("ivf", ivf)):
            build_ms = 0.0
            if index.ntotal == 0:
                _, build_ms = _timed(index.add, data)
            times, found = [], []
            for row in q:
                (_, ids), ms = _timed(index.search, row[None, :], k)
                times.append(ms)
                found.append(ids[0])
            if truth is None:
                truth = found
            recall = np.mean([len(set(a) & set(b)) / k for a, b in zip(found, truth, strict=True)])
            rows.append({
                "chunks": n, "index": name, "build_ms": round(build_ms, 1),
                "search_ms_p50": round(statistics.median(times), 3),
                f"recall@{k}_vs_flat": round(float(recall), 3),
            })  # fmt: skip
    return rows


def question_bench(pipeline: Pipeline, questions: list[str]) -> dict:
    """Per question through the pipeline, and the model-path prompts through raw llama.cpp."""
    rows = []
    for question in questions:
        answer, total = _timed(pipeline.ask, question)
        rows.append({
            "question": question, "total_ms": round(total, 1),
            "retrieve_ms": answer.timings_ms.retrieve, "answered_by": answer.answered_by,
        })  # fmt: skip
    # the model path for every question, then the same prompts through llama.cpp directly; both
    # passes see the same cache state (system prefix cached, the question's lines not)
    mode = "model" if pipeline.reader_mode == "model" else "choice"
    forced = pipeline.settings.model_copy(update={"reader": mode})
    chooser = Pipeline(forced, pipeline.store, pipeline.embedder, pipeline.generator)
    llm = getattr(pipeline.generator, "llm", None)
    ours = []
    for question in questions:
        answer, ms = _timed(chooser.ask, question)
        lines = chooser.lines.rank_lines(question, answer.retrieved[: forced.top_k])
        ours.append((answer, ms, chooser.messages(question, lines)))
    model_rows = []
    for answer, ms, messages in ours:
        if answer.completion_tokens == 0:
            continue
        if llm is None:  # a remote backend: no raw llama.cpp to compare with here
            model_rows.append({"prompt_tokens": answer.prompt_tokens, "ours_ms": round(ms, 1),
                               "completion_tokens": answer.completion_tokens})  # fmt: skip
            continue
        started = time.perf_counter()
        first, pieces = None, 0
        for chunk in llm.create_chat_completion(
            messages=messages, max_tokens=forced.max_tokens, temperature=0.0, stream=True,
            stop=["\n"],
        ):  # fmt: skip
            if chunk["choices"][0]["delta"].get("content"):
                pieces += 1
                first = first or time.perf_counter()
        end = time.perf_counter()
        first = first or end
        prefill_s, gen_s = first - started, end - first
        new_tokens = answer.prompt_tokens - chooser_prefix_tokens(chooser)
        model_rows.append({
            "prompt_tokens": answer.prompt_tokens,
            "uncached_prompt_tokens": new_tokens,
            "completion_tokens": answer.completion_tokens,
            "raw_ms": round((end - started) * 1000, 1),
            "ours_ms": round(ms, 1),
            "prefill_tok_s": round(new_tokens / prefill_s, 1) if prefill_s else None,
            "gen_tok_s": round((pieces - 1) / gen_s, 1) if pieces > 1 and gen_s else None,
        })  # fmt: skip
    totals = [r["total_ms"] for r in rows]
    summary = {
        "questions": len(rows),
        "e2e_p50_ms": percentile(totals, 50),
        "e2e_p95_ms": percentile(totals, 95),
        "retrieve_p50_ms": percentile([r["retrieve_ms"] for r in rows], 50),
        "answered_by_model": sum(r["answered_by"] == "model" for r in rows),
    }
    if model_rows:

        def med(key: str) -> float | None:
            values = [r[key] for r in model_rows if r.get(key)]
            return round(statistics.median(values), 1) if values else None

        summary.update({
            "model_path_questions": len(model_rows),
            "model_path_prompt_tokens_p50": med("prompt_tokens"),
            "model_path_uncached_prompt_tokens_p50": med("uncached_prompt_tokens"),
            "model_path_prefill_tok_s_p50": med("prefill_tok_s"),
            "model_path_gen_tok_s_p50": med("gen_tok_s"),
            "model_path_ours_ms_p50": med("ours_ms"),
            "model_path_raw_llama_ms_p50": med("raw_ms"),
            "overhead_ratio_p50": round(
                statistics.median([r["ours_ms"] / r["raw_ms"] for r in model_rows]), 2
            )
            if llm is not None
            else None,
        })  # fmt: skip
    return {"summary": summary, "questions": rows, "model_path": model_rows}


def chooser_prefix_tokens(pipeline: Pipeline) -> int:
    """Tokens of the fixed system prompt, which llama.cpp keeps cached between questions."""
    count = getattr(pipeline.generator, "count_tokens", None)
    return count(pipeline.prompts["system"].render()) if count else 0


def run(settings: Settings, questions: list[str], sizes: list[int]) -> dict:
    """Everything `qa bench` measures."""
    from qa.build import build_index
    from qa.embed import load_embedder
    from qa.pipeline import make_generator

    embedder, embed_load = _timed(
        load_embedder, settings.embedder_path(), settings.threads, settings.embedder_runtime
    )
    generator, model_load = _timed(make_generator, settings)
    with tempfile.TemporaryDirectory() as tmp:
        fresh = settings.model_copy(update={"index_dir": Path(tmp) / "index"})
        (store, report), build_ms = _timed(build_index, fresh, embedder)
        texts = [c.text for c in store.chunks] * max(1, 512 // max(len(store.chunks), 1))
        _, embed_ms = _timed(embedder.embed_batch, texts)
        pipeline = Pipeline(fresh, store, embedder, generator)
        pipeline.ask(questions[0])  # warm the prompt prefix cache, as a server would be
        per_question = question_bench(pipeline, questions)
    return {
        "machine": {
            "threads": settings.threads,
            "model": generator.name,
            "embedder": embedder.name,
        },
        "load": {"embedder_ms": round(embed_load, 1), "model_ms": round(model_load, 1)},
        "index": {
            "files": len(store.documents),
            "chunks": len(store.chunks),
            "build_ms": round(build_ms, 1),
            "embed_chunks_per_s": round(len(texts) / (embed_ms / 1000), 1),
        },  # fmt: skip
        "search": search_bench(embedder.dim, sizes),
        "per_question": per_question,
    }
