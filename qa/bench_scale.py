"""`qa bench --scale`: the local store and Milvus Lite on synthetic corpora of 10k to 1M lines.

A benchmark, not a test: it prints figures and never fails on them. On a small machine a real
embedding of a million lines takes hours, so the stores are built with a synthetic embedder (each
word a fixed random vector, a chunk the normalised sum of its words': similar texts, similar
vectors, at thousands of chunks a second), and the MiniLM rate, in process and through an engine,
is measured on a sample; the "embed est." column is what the real embedder would add.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np

from qa.settings import Settings

WORD = re.compile(r"\w+")
DIM = 384
QUERIES = 100


def _vocabulary(size: int, rng: np.random.Generator) -> list[str]:
    """Pronounceable made-up words; the first few hundred are short, like function words."""
    onsets = list("bcdfghjklmnprstvwz") + ["br", "ch", "st", "tr", "sh", "pl", "gr", "kr"]
    vowels = ["a", "e", "i", "o", "u", "ai", "ea", "ou"]
    words, seen = [], set()
    while len(words) < size:
        syllables = 1 if len(words) < 300 else int(rng.integers(1, 4))
        w = "".join(onsets[rng.integers(len(onsets))] + vowels[rng.integers(len(vowels))]
                    for _ in range(syllables)) + ("n" if rng.random() < 0.3 else "")  # fmt: skip
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words


def make_corpus(folder: Path, lines: int, seed: int = 0) -> int:
    """Articles of ~200 lines (paragraphs of Zipf-distributed words, blank lines between);
    returns the number of files written."""
    rng = np.random.default_rng(seed)
    vocab = _vocabulary(50_000, rng)
    vocab[:3] = ["the", "of", "and"]
    ranks = np.arange(1, len(vocab) + 1)
    p = 1.0 / ranks**1.07  # Zipf's law, as in English text
    p /= p.sum()
    folder.mkdir(parents=True, exist_ok=True)
    per_file, files, written = 200, 0, 0
    while written < lines:
        n = min(per_file, lines - written)
        paragraphs = (n + 1) // 2
        lengths = rng.integers(8, 45, paragraphs)
        ids = rng.choice(len(vocab), int(lengths.sum()), p=p)
        out, at = [], 0
        for length in lengths:
            words = [vocab[i] for i in ids[at : at + length]]
            at += length
            words[0] = words[0].capitalize()
            out += [" ".join(words) + ".", ""]  # paragraphs with blank lines between
        text = "\n".join(out[:n]) + "\n"
        (folder / f"{files:06d}.txt").write_text(text, encoding="utf-8")
        files, written = files + 1, written + n
    return files


class SyntheticEmbedder:
    """Bag of words: each word a fixed random vector; not a language model, but fast."""

    name = "synthetic-bow"
    dim = DIM

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.table = self.rng.standard_normal((1 << 16, DIM), dtype=np.float32)

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        """Normalised sums of the texts' word vectors."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for i, text in enumerate(texts):
            ids = [zlib.crc32(w.encode()) & 0xFFFF for w in WORD.findall(text.lower())]
            if ids:
                out[i] = self.table[ids].sum(axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def serve_figures(settings: Settings, questions: list[str]) -> dict:
    """In a fresh process: time to ready (the store opened and the reader's word rarity made;
    the models' load, about 2 s, does not grow with the corpus), search p50/p95, dense
    recall@10 vs exact, RSS."""
    from qa.read.lines import LineRanker
    from qa.stores import make_store

    embedder = SyntheticEmbedder()
    started = time.perf_counter()
    store = make_store(settings, embedder)
    store.load()
    LineRanker(store, embedder)
    ready = time.perf_counter() - started
    vectors = embedder.embed_batch(questions)
    times = []
    for q, v in zip(questions, vectors, strict=True):
        t = time.perf_counter()
        store.search(q, 10, v)
        times.append((time.perf_counter() - t) * 1000)
    recall = _dense_recall(store, vectors)
    figures = {
        "ready_s": round(ready, 2),
        "search_p50_ms": round(float(np.percentile(times, 50)), 1),
        "search_p95_ms": round(float(np.percentile(times, 95)), 1),
        "recall@10": recall,
        "rss_mb": round(_rss_mb(), 0),
    }
    store.close()
    return figures


def _dense_recall(store, vectors: np.ndarray, k: int = 10) -> float:
    """Share of the exact dense top-k that the store's dense index returns."""
    if store.kind == "local":
        from qa.retrieve import Retriever

        dense = Retriever(store.loaded, store.embedder).dense
        exact = np.argsort(-(vectors @ store.loaded.vectors.T), axis=1)[:, :k]
        shares = [len(set(dense(v, k)[1].tolist()) & set(e.tolist())) / k
                  for v, e in zip(vectors, exact, strict=True)]  # fmt: skip
        return round(float(np.mean(shares)), 3)
    rows = store.client.query(store.live, filter="", output_fields=["id", "dense"], limit=16384)
    if len(rows) == 16384:  # past a page, read every vector by id prefix
        rows = [r for d in "0123456789abcdef" for r in store.client.query(
            store.live, filter=f'id like "{d}%"', output_fields=["id", "dense"], limit=16384 * 8,
        )]  # fmt: skip
    ids = [r["id"] for r in rows]
    matrix = np.asarray([r["dense"] for r in rows], dtype=np.float32)
    exact = np.argsort(-(vectors @ matrix.T), axis=1)[:, :k]
    shares = []
    for v, truth in zip(vectors, exact, strict=True):
        hits = store.client.search(
            store.live, data=[v.tolist()], anns_field="dense", limit=k,
            search_params={"metric_type": "IP", "params": {"ef": 128}},
        )[0]  # fmt: skip
        shares.append(len({h["id"] for h in hits} & {ids[i] for i in truth}) / k)
    return round(float(np.mean(shares)), 3)


def _serve_in_subprocess(settings: Settings, questions: list[str]) -> dict:
    payload = json.dumps({"settings": settings.model_dump(mode="json"), "questions": questions})
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    out = subprocess.run(
        [sys.executable, "-m", "qa.bench_scale"], input=payload, capture_output=True, text=True,
        env=env, check=False,
    )  # fmt: skip
    if out.returncode:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def embed_rates(settings: Settings, sample: list[str], workers: int = 2) -> dict:
    """MiniLM chunks/s in this process and through qa.embed_server with `workers` processes."""
    import httpx

    from qa.embed import SentenceTransformerEmbedder
    from qa.embed_remote import RemoteEmbedder

    local = SentenceTransformerEmbedder(settings.embedder_path(), settings.threads)
    local.embed_batch(sample[:32])
    started = time.perf_counter()
    local.embed_batch(sample)
    local_rate = len(sample) / (time.perf_counter() - started)
    del local
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    threads = str(max(1, settings.threads // workers))
    cmd = [sys.executable, "-m", "qa.embed_server", "--port", str(port),
           "--workers", str(workers), "--threads", threads]  # fmt: skip
    proc = subprocess.Popen(cmd, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    try:
        deadline = time.time() + 180
        while time.time() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        time.sleep(3)  # let every worker finish loading before timing
        remote = RemoteEmbedder(f"http://127.0.0.1:{port}/v1", batch=32, concurrency=2 * workers)
        remote.embed_batch(sample[: 32 * workers * 2])
        started = time.perf_counter()
        remote.embed_batch(sample)
        remote_rate = len(sample) / (time.perf_counter() - started)
        remote.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {"local_chunks_s": round(local_rate, 1), "engine_chunks_s": round(remote_rate, 1),
            "engine_workers": workers, "speedup": round(remote_rate / local_rate, 2)}  # fmt: skip


def run(settings: Settings, sizes: list[int], stores: list[str], embed_sample: int = 256) -> dict:
    """Every figure of `qa bench --scale`."""
    from qa.chunk import chunk_document
    from qa.corpus import read_corpus
    from qa.stores import make_store

    rows, rates = [], {}
    if embed_sample:  # real articles: made-up words cut into many more word pieces
        texts = [c.text for d in read_corpus(settings.docs).documents for c in chunk_document(d)]
        texts = (texts * (embed_sample // max(len(texts), 1) + 1))[:embed_sample]
        rates = embed_rates(settings, texts)
    with tempfile.TemporaryDirectory(prefix="qa-scale-") as tmp:
        for lines in sizes:
            docs = Path(tmp) / f"docs-{lines}"
            started = time.perf_counter()
            make_corpus(docs, lines)
            made = time.perf_counter() - started
            for kind in stores:
                where = "local" if kind == "local" else str(Path(tmp) / f"milvus-{lines}.db")
                s = settings.model_copy(update={
                    "docs": docs, "index_dir": Path(tmp) / f"index-{lines}", "store": where,
                })  # fmt: skip
                store = make_store(s, SyntheticEmbedder())
                started = time.perf_counter()
                report = store.build()
                index_s = time.perf_counter() - started
                update_s = _update_one_file(store, docs)
                store.close()
                questions = _questions(docs)
                row = {"lines": lines, "store": kind, "chunks": report.chunks,
                       "corpus_s": round(made, 1), "index_s": round(index_s, 1),
                       "update_s": update_s, **_serve_in_subprocess(s, questions)}  # fmt: skip
                if rates:
                    row["embed_est_s"] = round(report.chunks / rates["local_chunks_s"])
                rows.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
    note = " ".join(__doc__.split("\n\n")[1].split())
    return {"embedding": rates, "stores": rows, "load_average": os.getloadavg()[0],
            "cores": os.cpu_count(), "note": note}  # fmt: skip


def _update_one_file(store, docs: Path) -> float:
    """Seconds to bring the index in step after one article changes (what the live index does
    in a serving process: the store already open), then the file is put back and re-indexed."""
    path = sorted(docs.iterdir())[len(list(docs.iterdir())) // 2]
    before = path.read_text()
    path.write_text(before + "\nA late correction was added to this article.\n")
    started = time.perf_counter()
    store.build()
    seconds = time.perf_counter() - started
    path.write_text(before)
    store.build()
    return round(seconds, 2)


def _questions(docs: Path) -> list[str]:
    """Questions made of words of random lines of the corpus."""
    rng = np.random.default_rng(1)
    files = sorted(docs.iterdir())
    out = []
    for f in rng.choice(files, QUERIES):
        lines = [ln for ln in f.read_text().splitlines() if ln.strip()]
        words = lines[rng.integers(len(lines))].rstrip(".").split()
        out.append(" ".join(rng.choice(words, min(8, len(words)), replace=False)))
    return out


if __name__ == "__main__":  # the serving half, in a fresh process (see _serve_in_subprocess)
    payload = json.loads(sys.stdin.read())
    print(json.dumps(serve_figures(Settings(**payload["settings"]), payload["questions"])))
