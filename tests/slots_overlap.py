"""Benchmark (not a test): does qa keep N generation requests in flight against a server with slots?

    python tests/slots_overlap.py --qa http://127.0.0.1:8904 [--n 4]

Point it at a `qa serve` whose QA_LLM_URL is a llama.cpp `llama-server --parallel N` and whose
QA_LLM_CONCURRENCY is N. It sends N questions that need the model, all at once and then one after
another, and prints each request's start and end (seconds from the first start), so overlapping
intervals show requests in flight together, plus both wall times.
"""

import argparse
import concurrent.futures as cf
import json
import time

import httpx

QUESTIONS = [
    "What did the notice about Kinzhal missiles ask?",
    "What did Malyar say about the defense of Bakhmut as a city?",
    "What did Prigozhin say about the Ministry of Defense and its generals?",
    "What do Ukrainian forces hope to do to Bakhmut?",
    "What did the Kremlin spokesman say about the sabotage actions?",
    "What happened to the debris over Kyiv?",
    "What did Russian public television compare the conquest to?",
    "What did the Institute for the Study of War say about Wagner?",
]


def one(url: str, question: str, t0: float) -> dict:
    start = time.perf_counter() - t0
    body = httpx.post(f"{url}/ask", json={"question": question}, timeout=300).json()
    end = time.perf_counter() - t0
    return {
        "start_s": round(start, 2),
        "end_s": round(end, 2),
        "answered_by": body.get("answered_by"),
        "tokens": body.get("completion_tokens"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qa", required=True)
    parser.add_argument("--n", type=int, default=4)
    args = parser.parse_args()
    questions = QUESTIONS[: args.n]
    one(args.qa, questions[0], time.perf_counter())  # warm up
    t0 = time.perf_counter()
    with cf.ThreadPoolExecutor(args.n) as pool:
        together = list(pool.map(lambda q: one(args.qa, q, t0), questions))
    together_wall = time.perf_counter() - t0
    t0 = time.perf_counter()
    apart = [one(args.qa, q, t0) for q in questions]
    apart_wall = time.perf_counter() - t0
    overlap = max(r["start_s"] for r in together) < min(r["end_s"] for r in together)
    print(json.dumps({
        "concurrent": together, "concurrent_wall_s": round(together_wall, 2),
        "all_in_flight_at_once": overlap,
        "sequential": apart, "sequential_wall_s": round(apart_wall, 2),
    }, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
