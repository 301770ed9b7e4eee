"""Load script (a benchmark, not a test): N concurrent clients send /ask to a real `qa serve`.

    python tests/load_server.py [--clients 50] [--requests 500] [--rounds 2] [--url URL]

Without --url it starts `qa serve` on a free loopback port with the default models and stops it
afterwards. It prints requests answered, errors (503s counted apart), p50/p95 latency and the
server's resident memory at the start and after the run.
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


async def run(url: str, clients: int, total: int, questions: list[str]) -> dict:
    results: list[tuple[int, float]] = []
    counter = iter(range(total))

    async def client(http: httpx.AsyncClient) -> None:
        for i in counter:
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
    ok = [ms for status, ms in results if status == 200]
    q = statistics.quantiles(ok, n=100, method="inclusive") if len(ok) > 1 else [0] * 99
    return {
        "requests": len(results),
        "answered": len(ok),
        "busy_503": sum(1 for s, _ in results if s == 503),
        "errors": sum(1 for s, _ in results if s not in (200, 503)),
        "p50_ms": round(q[49], 1),
        "p95_ms": round(q[94], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--url", default="")
    parser.add_argument("--rounds", type=int, default=2, help="Rounds of --requests each.")
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
