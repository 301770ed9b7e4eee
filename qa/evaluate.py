"""Score answers against a gold Q&A file (JSON Lines)."""

from __future__ import annotations

import json
import re
import statistics
import string
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qa.answer import Answer
from qa.cite import Citation
from qa.corpus import read_document
from qa.errors import InputError
from qa.policy import OFF, SIGNALS  # noqa: F401 (calibrate's settings)
from qa.stats import answer_precision, interval

MAX_ANSWER_WORDS = 20
MAX_CITED_LINES = 6
RECALL_KS = (1, 3, 5, 10)
T = TypeVar("T", bound=BaseModel)
Check = Callable[[BaseModel], str]
EVIDENCE = re.compile(r"^(?P<file>.+?):(?P<start>\d+)(?:-(?P<end>\d+))?$")


class GoldItem(BaseModel):
    """One gold question."""

    model_config = ConfigDict(extra="allow")

    id: str
    question: str = Field(min_length=1)
    answers: list[str] = []
    evidence: list[str] = []
    answerable: bool = True
    kind: str = ""

    def evidence_lines(self) -> set[tuple[str, int]]:
        """Every (file, line) the evidence names."""
        out = set()
        for ref in self.evidence:
            m = EVIDENCE.match(ref)
            start = int(m["start"])
            for n in range(start, int(m["end"] or start) + 1):
                out.add((m["file"], n))
        return out


def load_jsonl(path: Path, model: type[T], what: str, check: Check | None = None) -> list[T]:
    """Parse a JSON Lines file of `model` rows with unique ids; InputError naming the first bad
    line (`check` may name what else is wrong with a row)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {what} file {str(path)!r}: {exc}") from exc
    items, seen = [], set()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = model.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{number}: {str(exc).splitlines()[0]}") from exc
        except ValidationError as exc:
            first = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}".lstrip(": ") for e in exc.errors()
            )
            raise InputError(f"{path}:{number}: {first}") from exc
        problem = check(item) if check else ""
        if problem:
            raise InputError(f"{path}:{number}: {problem}")
        if item.id in seen:
            raise InputError(f"{path}:{number}: duplicate id {item.id!r}")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise InputError(f"{what} file {str(path)!r} has no {what}s")
    return items


def gold_problem(item: GoldItem) -> str:
    """What is wrong with a gold question beyond its fields' types ('' for nothing)."""
    bad = [ref for ref in item.evidence if not EVIDENCE.match(ref)]
    if bad:
        return f"evidence {bad[0]!r} is not file:line or file:a-b"
    if item.answerable and not item.answers:
        return "an answerable question needs answers"
    return ""


def load_gold(path: Path) -> list[GoldItem]:
    """Parse a gold file; InputError naming the first bad line."""
    return load_jsonl(path, GoldItem, "question", gold_problem)


def normalize(text: str) -> str:
    """Lower case, no punctuation, no articles, single spaces."""
    text = text.lower().replace("’", "'")
    text = "".join(" " if ch in string.punctuation else ch for ch in text)
    return " ".join(w for w in text.split() if w not in {"a", "an", "the"})


def contains(answer: str, golds: list[str]) -> bool:
    """A gold answer occurs in a short answer (a pasted passage does not count)."""
    if len(answer.split()) > MAX_ANSWER_WORDS:
        return False
    padded = f" {normalize(answer)} "
    return any(normalize(g) and f" {normalize(g)} " in padded for g in golds)


def exact(answer: str, golds: list[str]) -> bool:
    """The normalised answer equals a gold answer."""
    return any(normalize(answer) == normalize(g) for g in golds)


def token_f1(answer: str, golds: list[str]) -> float:
    """Best token-overlap F1 against any gold answer."""
    best = 0.0
    predicted = normalize(answer).split()
    for gold in golds:
        truth = normalize(gold).split()
        common = sum(min(predicted.count(w), truth.count(w)) for w in set(truth))
        if common:
            p, r = common / len(predicted), common / len(truth)
            best = max(best, 2 * p * r / (p + r))
    return best


def citation_ok(c: Citation, item: GoldItem) -> bool:
    """A narrow citation that covers an evidence line or quotes a gold answer."""
    if c.end_line - c.start_line + 1 > MAX_CITED_LINES:
        return False
    lines = item.evidence_lines()
    covers = any((c.file, n) in lines for n in range(c.start_line, c.end_line + 1))
    quoted = any(normalize(g) and normalize(g) in normalize(c.quote) for g in item.answers)
    return covers or quoted


def quote_faithful(c: Citation, docs: Path) -> bool:
    """The quote equals (or is a contiguous part of) the file's text at those lines, on disk."""
    path = docs / c.file
    if not path.is_file():
        return False
    doc = read_document(docs, path)
    if doc is None or not 1 <= c.start_line <= c.end_line <= len(doc.lines):
        return False
    return bool(c.quote) and c.quote in "\n".join(doc.lines[c.start_line - 1 : c.end_line])


def recall_at(answer: Answer, item: GoldItem, k: int) -> bool:
    """An evidence line lies inside one of the first k retrieved passages."""
    lines = item.evidence_lines()
    return any(
        (p.file, n) in lines
        for p in answer.retrieved[:k]
        for n in range(p.start_line, p.end_line + 1)
    )


def score_one(item: GoldItem, answer: Answer, docs: Path) -> dict:
    """Per-question figures."""
    row = {
        "id": item.id,
        "kind": item.kind,
        "question": item.question,
        "answerable": item.answerable,
        "answer": answer.answer,
        "abstained": answer.abstained,
        "abstain_reason": answer.abstain_reason,
        "answered_by": answer.answered_by,
        "signals": answer.signals,
        "citations": [f"{c.file}:{c.start_line}-{c.end_line}" for c in answer.citations],
        "citations_ok": [citation_ok(c, item) for c in answer.citations],
        "faithful": [quote_faithful(c, docs) for c in answer.citations],
        "latency_ms": answer.timings_ms.total,
        "completion_tokens": answer.completion_tokens,
        "prompt_tokens": answer.prompt_tokens,
    }
    if answer.parts:  # asked in two parts: what each part searched
        row["parts"] = answer.parts
    if item.answerable:
        answered = not answer.abstained
        row["correct"] = answered and contains(answer.answer, item.answers)
        row["exact"] = answered and exact(answer.answer, item.answers)
        row["f1"] = token_f1(answer.answer, item.answers) if answered else 0.0
        row["recall"] = {k: recall_at(answer, item, k) for k in RECALL_KS}
    return row


def _mean(values: list) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (inclusive method), rounded to 0.1; None for no values."""
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 1)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1], 1)


def summarize(rows: list[dict]) -> dict:
    """Aggregate figures over rows."""
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    citations = [ok for r in rows for ok in r["citations_ok"]]
    faithful = [ok for r in rows for ok in r["faithful"]]
    latency = [r["latency_ms"] for r in rows]
    given = answer_precision(rows)
    return {
        "questions": len(rows),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "accuracy": _mean([r["correct"] for r in answerable]),
        "accuracy_ci": interval([r["correct"] for r in answerable]),
        "abstention_ci": interval([r["abstained"] for r in unanswerable]),
        "wrongful_abstention_ci": interval([r["abstained"] for r in answerable]),
        "answered": len(given),
        "answer_precision": _mean(given),
        "answer_precision_ci": interval(given),
        "exact_match": _mean([r["exact"] for r in answerable]),
        "token_f1": _mean([r["f1"] for r in answerable]),
        "abstention_accuracy": _mean([r["abstained"] for r in unanswerable]),
        "wrongful_abstention": _mean([r["abstained"] for r in answerable]),
        "citation_precision": _mean(citations),
        "citation_recall": _mean([any(r["citations_ok"]) for r in answerable]),
        "quote_faithfulness": _mean(faithful),
        **{f"recall@{k}": _mean([r["recall"][k] for r in answerable]) for k in RECALL_KS},
        "latency_p50_ms": percentile(latency, 50),
        "latency_p95_ms": percentile(latency, 95),
        "completion_tokens_mean": _mean([r["completion_tokens"] for r in rows]),
    }


def evaluate(
    ask: Callable[[str], Answer],
    items: list[GoldItem],
    docs: Path,
    on_row: Callable[[dict], None] | None = None,
) -> dict:
    """Ask every question; the report has overall, per-kind and per-question figures."""
    rows = []
    for item in items:
        row = score_one(item, ask(item.question), docs)
        rows.append(row)
        if on_row:
            on_row(row)
    kinds = sorted({r["kind"] for r in rows if r["kind"]})
    return {
        "overall": summarize(rows),
        "by_kind": {k: summarize([r for r in rows if r["kind"] == k]) for k in kinds},
        "questions": rows,
    }


def decide(rows: list[dict], thresholds: dict[str, float]) -> dict:
    """Figures if each row also abstained when a signal is below its threshold."""

    def abstains(r: dict) -> bool:
        sig = r.get("signals", {})
        return r["abstained"] or any(sig.get(k, t) < t for k, t in thresholds.items())

    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    right = sum(r["correct"] and not abstains(r) for r in answerable)
    declined = sum(abstains(r) for r in unanswerable)
    return {
        "accuracy": _mean([r["correct"] and not abstains(r) for r in answerable]),
        "abstention_accuracy": _mean([abstains(r) for r in unanswerable]),
        "wrongful_abstention": _mean([abstains(r) for r in answerable]),
        "decisions_right": round((right + declined) / max(len(rows), 1), 3),
    }


def calibrate(rows: list[dict], max_wrongful: float = 0.1) -> dict:
    """Thresholds for the abstention signals, chosen one signal at a time (in SIGNALS order,
    each given the ones before) to get the most questions right (answered correctly or declined
    when unanswerable) with wrongful abstention at most max_wrongful, then the least wrongful
    abstention. Rows must come from a pipeline that never abstained on these signals (OFF). A
    threshold sits halfway between two observed values, and among thresholds that do equally
    well the middle one is taken, the farthest from the questions on either side."""
    chosen: dict[str, float] = {}
    steps = []
    for signal in SIGNALS:
        values = sorted({r["signals"][signal] for r in rows if signal in r.get("signals", {})})
        candidates = [None] + [round((a + b) / 2, 4) for a, b in pairwise(values)]
        allowed = []
        for t in candidates:
            figures = decide(rows, chosen | ({signal: t} if t is not None else {}))
            if (figures["wrongful_abstention"] or 0) <= max_wrongful:
                allowed.append((t, figures["decisions_right"], figures["wrongful_abstention"] or 0))
        best = None
        if allowed:  # the most right, then the least wrongful; off if that does as well
            top = max(right for _, right, _ in allowed)
            least = min(w for _, right, w in allowed if right == top)
            tied = [t for t, right, w in allowed if right == top and w == least]
            best = None if None in tied else tied[len(tied) // 2]  # the middle of the plateau
        if best is not None:
            chosen[signal] = best
        steps.append({"signal": signal, "setting": SIGNALS[signal], "threshold": best,
                      "observed": len(values), **decide(rows, dict(chosen))})  # fmt: skip
    return {"before": decide(rows, {}), "steps": steps, "thresholds": chosen}


def markdown(report: dict, title: str) -> str:
    """The report as a Markdown document."""
    keys = list(report["overall"])
    groups = {"overall": report["overall"], **report["by_kind"]}
    out = [f"# {title}", "", "| metric | " + " | ".join(groups) + " |"]
    out.append("|---" * (len(groups) + 1) + "|")
    for key in keys:
        out.append(f"| {key} | " + " | ".join(_fmt(g.get(key)) for g in groups.values()) + " |")
    out += ["", "| id | kind | ok | answer | citations |", "|---|---|---|---|---|"]
    for r in report["questions"]:
        ok = r.get("correct", r["abstained"])
        cites = ", ".join(r["citations"])
        answer = r["answer"].replace("|", "\\|")
        out.append(f"| {r['id']} | {r['kind']} | {'yes' if ok else 'no'} | {answer} | {cites} |")
    return "\n".join(out) + "\n"


def _fmt(value) -> str:
    return "—" if value is None else str(value)
