"""`qa eval --all`: every question set, each over its own corpus, in one table."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from qa.cite import said_as
from qa.evaluate import evaluate, load_gold
from qa.pipeline import Pipeline
from qa.stats import risk_coverage

# columns of the table: (report key, heading); a key with an "_ci" twin is shown with its interval
COLUMNS = [
    ("questions", "n"),
    ("accuracy", "accuracy"),
    ("abstention_accuracy", "abstention"),
    ("wrongful_abstention", "wrongful"),
    ("answer_precision", "answer precision"),
    ("citation_precision", "cit. P"),
    ("citation_recall", "cit. R"),
    ("quote_faithfulness", "faithful"),
    ("latency_p50_ms", "p50 ms"),
]
CI = {
    "accuracy": "accuracy_ci",
    "abstention_accuracy": "abstention_ci",
    "wrongful_abstention": "wrongful_abstention_ci",
    "answer_precision": "answer_precision_ci",
}


@dataclass
class QuestionSet:
    """A gold file and the folder of articles its questions are about."""

    name: str
    gold: Path
    docs: Path
    frozen: bool  # measured only, never tuned on
    conversations: bool = False  # turns to play; the last one is scored

    @property
    def role(self) -> str:
        return "frozen" if self.frozen else "tune"


def tuning(gold: Path) -> bool:
    """A file to tune on: its name starts with dev (questions or conversations)."""
    return gold.stem.startswith("dev")


def discover(gold_dir: Path, corpora_dir: Path, seeds: Path) -> list[QuestionSet]:
    """Every gold file in gold_dir: NAME.jsonl is about corpora_dir/NAME when that folder exists,
    else about the seeds. dev* files (questions or conversations) are for tuning; every other
    set is frozen."""
    sets = []
    for gold in sorted(gold_dir.glob("*.jsonl")):
        corpus = corpora_dir / gold.stem
        docs = corpus if corpus.is_dir() else seeds
        sets.append(QuestionSet(gold.stem, gold, docs, frozen=not tuning(gold)))
    # conversations over a corpus: gold_dir/conversations/NAME.jsonl ("seeds" means the seeds)
    for gold in sorted((gold_dir / "conversations").glob("*.jsonl")):
        corpus = corpora_dir / gold.stem
        docs = corpus if corpus.is_dir() else seeds
        sets.append(QuestionSet(f"{gold.stem}-conv", gold, docs, not tuning(gold), True))
    # tuning sets first, then the frozen seed splits, then other corpora, then conversations
    return sorted(sets, key=lambda s: (s.frozen, s.conversations, s.docs != seeds, s.name))


def is_conversation_file(path: Path) -> bool:
    """A gold file whose first question has turns."""
    try:
        first = next(ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip())
        return '"turns"' in first
    except (OSError, UnicodeDecodeError, StopIteration):
        return False


def load(qs: QuestionSet) -> list:
    """The set's questions or conversations, validated (InputError naming a bad line)."""
    from qa.conversations import load_conversations

    return load_conversations(qs.gold) if qs.conversations else load_gold(qs.gold)


def run(
    pipeline: Pipeline,
    sets: list[QuestionSet],
    on_build: Callable[[str], None] | None = None,
    on_row: Callable[[dict], None] | None = None,
    gold_earlier: bool = False,
) -> dict[str, dict]:
    """A report per set (the evaluate() report, plus its corpus and risk-coverage curve).
    gold_earlier: a conversation's earlier turns take their gold answers (not asked)."""
    by_docs: dict[Path, Pipeline] = {}
    reports = {}
    for qs in sets:
        items = load(qs)
        key = qs.docs.resolve()
        if key not in by_docs:
            by_docs[key] = pipeline.for_docs(qs.docs, on_build)
        corpus = by_docs[key]
        if qs.conversations:
            from qa.conversations import evaluate_conversations

            find = gold_line(corpus) if gold_earlier else None
            report = evaluate_conversations(corpus.ask, items, qs.docs, on_row, find_line=find)
            report["questions"] = report["conversations"]
            report["earlier_turns"] = "gold" if gold_earlier else "asked"
        else:
            report = evaluate(corpus.ask, items, qs.docs, on_row=on_row)
        report.update(
            gold=str(qs.gold),
            docs=str(qs.docs),
            role=qs.role,
            model=pipeline.generator.name,
            reader=pipeline.reader_mode,
            risk_coverage=risk_coverage(report["questions"]),
        )
        reports[qs.name] = report
        if qs.conversations:  # the same last questions asked standalone, for comparison
            reports[f"{qs.name} standalone"] = {
                "overall": report["standalone"], "role": qs.role, "risk_coverage": [],
                "questions": [], "docs": str(qs.docs), "gold": str(qs.gold),
            }  # fmt: skip
    return reports


def gold_line(pipeline: Pipeline) -> Callable[[str, list[str]], tuple[str, str] | None]:
    """Finds the corpus line that says one of a question's gold answers: the best-ranked of the
    lines retrieved for the question, else the first in the corpus. Returns the answer as that
    line spells it, and the line."""

    def corpus_lines(question: str) -> Iterator[str]:
        passages = pipeline.retriever.search(question, pipeline.settings.retrieve_k)
        yield from (ln.text for ln in pipeline.lines.rank_lines(question, passages))
        for doc in pipeline.store.documents.values():
            yield from doc.lines

    def find(question: str, golds: list[str]) -> tuple[str, str] | None:
        wanted = [g.strip() for g in golds if g.strip()]
        if not wanted:
            return None
        said = [said_as(g) for g in wanted]
        for text in corpus_lines(question):
            match = next((m for p in said if (m := p.search(text))), None)
            if match:
                return match.group(0), text
        return None

    return find


def cell(overall: dict, key: str) -> str:
    """A figure with its 95% interval when it has one: '0.58 [0.42, 0.73]'."""
    value = overall.get(key)
    if value is None:
        return "—"
    ci = overall.get(CI.get(key, ""))
    return f"{value:.2f} ({ci[0]:.2f}–{ci[1]:.2f})" if ci else str(value)


def table_rows(reports: dict[str, dict]) -> list[list[str]]:
    """One row per set: name, role, then COLUMNS."""
    return [
        [name, r["role"], *(cell(r["overall"], key) for key, _ in COLUMNS)]
        for name, r in reports.items()
    ]


def markdown(reports: dict[str, dict], title: str) -> str:
    """The table, then each set's risk-coverage points, as Markdown."""
    head = ["set", "role", *(h for _, h in COLUMNS)]
    out = [f"# {title}", "", "| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in table_rows(reports)]
    out += ["", "Intervals are 95% bootstrap intervals over the questions.", ""]
    out += ["## Risk and coverage", ""]
    out += ["Answering only when the best line's similarity (evidence) is at least the threshold:"]
    for name, r in reports.items():
        points = thin(r["risk_coverage"])
        out += ["", f"**{name}**", "", "| evidence ≥ | coverage | answers | precision |"]
        out += ["|---|---|---|---|"]
        out += [
            f"| {p['threshold']} | {p['coverage']} | {p['answers']} | {p['precision']} |"
            for p in points
        ]
    return "\n".join(out) + "\n"


def thin(points: list[dict], most: int = 8) -> list[dict]:
    """At most `most` points, evenly spread, the last (answer everything) always kept."""
    if len(points) <= most:
        return points
    step = (len(points) - 1) / (most - 1)
    return [points[round(i * step)] for i in range(most)]


def plot(reports: dict[str, dict], path: Path) -> None:
    """Risk-coverage curves of every set as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    for name, r in reports.items():
        points = r["risk_coverage"]
        if points:
            ax.plot([p["coverage"] for p in points], [p["precision"] for p in points], label=name)
    ax.set_xlabel("coverage (share of questions answered)")
    ax.set_ylabel("answer precision (share of answers right)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title("risk-coverage: raising the evidence threshold")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
