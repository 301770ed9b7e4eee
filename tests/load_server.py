"""Load script (a benchmark, not a test): N concurrent clients send /ask to a real `qa serve`.

    python tests/load_server.py [--clients 50] [--requests 500] [--rounds 2] [--url URL]
    python tests/load_server.py --sweep 1,2,8,40 [--requests 96] [--seconds 60]

Without --url it starts `qa serve` on a free loopback port with the default models and stops it
afterwards. It prints requests answered, errors (503s counted apart), p50/p95 latency and the
server's resident memory at the start and after the run. --sweep measures requests/s at each
number of clients on a mix of 24 gold questions (one warm-up pass over them first), each level
bounded by --requests and --seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from integration.conftest import Server  # noqa: E402

GOLD = Path(__file__).parent / "gold"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def run(
    url: str, clients: int, total: int, questions: list[str], seconds: float = 3600
) -> dict:
    results: list[tuple[int, float]] = []
    counter = iter(range(total))
    began = time.perf_counter()
    deadline = began + seconds

    async def client(http: httpx.AsyncClient) -> None:
        for i in counter:
            if time.perf_counter() > deadline:
                break
            started = time.perf_counter()
            try:
                r = await http.post(f"{url}/ask", json={"question": questions[i % len(questions)]})
                status = r.status_code
            except httpx.HTTPError:
                status = -1
            results.append((status, (time.perf_counter() - started) * 1000))

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(timeout=300, limits=limits) as http:
        await asyncio.gather(*(client(http) for _ in range(clients)))
    wall = time.perf_counter() - began
    ok = [ms for status, ms in results if status == 200]
    q = statistics.quantiles(ok, n=100, method="inclusive") if len(ok) > 1 else [0] * 99
    return {
        "requests": len(results),
        "answered": len(ok),
        "busy_503": sum(1 for s, _ in results if s == 503),
        "errors": sum(1 for s, _ in results if s not in (200, 503)),
        "p50_ms": round(q[49], 1),
        "p95_ms": round(q[94], 1),
        "seconds": round(wall, 1),
        "requests_per_s": round(len(ok) / wall, 2),
    }


def sweep(url: str, levels: list[int], total: int, seconds: float, questions: list[str]) -> None:
    """Requests/s at each number of clients, after one warm-up pass over the questions."""
    asyncio.run(run(url, 4, len(questions), questions))
    for clients in levels:
        report = asyncio.run(run(url, clients, total, questions, seconds))
        report["clients"] = clients
        print(json.dumps(report), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--url", default="")
    parser.add_argument("--rounds", type=int, default=2, help="Rounds of --requests each.")
    parser.add_argument("--sweep", default="", help="Client counts to measure, e.g. 1,2,8,40.")
    parser.add_argument("--seconds", type=float, default=60, help="Time bound of a sweep level.")
    args = parser.parse_args()
    questions = [
        json.loads(line)["question"]
        for f in ("dev.jsonl", "test.jsonl")
        for line in (GOLD / f).read_text().splitlines()
        if line.strip()
    ]
    server = None
    url = args.url
    if not url:
        import tempfile

        base = Path(tempfile.mkdtemp(prefix="qa-load-"))
        from integration.conftest import copy_seeds

        env = {"QA_DOCS": str(copy_seeds(base / "docs")), "QA_INDEX_DIR": str(base / "index")}
        server = Server(env)
        url = server.url
    try:
        if args.sweep:
            levels = [int(x) for x in args.sweep.split(",")]
            sweep(url, levels, args.requests, args.seconds, questions[:24])
            return
        rss = [round(rss_mb(server.proc.pid), 1)] if server else []
        for round_ in range(1, args.rounds + 1):
            report = asyncio.run(run(url, args.clients, args.requests, questions))
            report.update(round=round_, clients=args.clients)
            if server:
                rss.append(round(rss_mb(server.proc.pid), 1))
                report["rss_mb_start_then_after_each_round"] = list(rss)
            print(json.dumps(report), flush=True)
    finally:
        if server:
            server.stop()


if __name__ == "__main__":
    main()
