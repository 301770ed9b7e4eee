"""Score conversations: play each one turn by turn through the follow-up resolver and the
pipeline, score its last turn, and the same last question asked standalone for comparison."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from qa.answer import ABSTAIN_TEXT, Answer, Timings
from qa.evaluate import EVIDENCE, GoldItem, load_jsonl, score_one, summarize
from qa.followup import Conversation


class Ask(Protocol):
    """Pipeline.ask, or a fake of it."""

    def __call__(
        self, question: str, search_question: str | None = None, not_again: Sequence[str] = ()
    ) -> Answer: ...


class ConversationItem(BaseModel):
    """One gold conversation: its turns, and the gold answer of its last turn."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(min_length=1)
    kind: str = ""
    turns: list[str] = Field(min_length=2, description="The questions, in order.")
    turn_answers: list[list[str]] = Field(default_factory=list)
    standalone: str = Field(min_length=1, description="The last turn written to stand alone.")
    answers: list[str] = []
    evidence: list[str] = []
    answerable: bool = True

    @model_validator(mode="after")
    def _check(self) -> ConversationItem:
        if any(not t.strip() for t in self.turns):
            raise ValueError("a turn is empty")
        if self.turn_answers and len(self.turn_answers) != len(self.turns):
            raise ValueError("turn_answers needs one list per turn")
        bad = [ref for ref in self.evidence if not EVIDENCE.match(ref)]
        if bad:
            raise ValueError(f"evidence {bad[0]!r} is not file:line or file:a-b")
        if self.answerable and not self.answers:
            raise ValueError("an answerable conversation needs answers")
        return self

    def gold(self, question: str) -> GoldItem:
        """The last turn as a gold question (asked as `question`)."""
        return GoldItem(
            id=self.id,
            question=question,
            answers=self.answers,
            evidence=self.evidence,
            answerable=self.answerable,
            kind=self.kind,
        )


def load_conversations(path: Path) -> list[ConversationItem]:
    """Parse a conversation file (JSON Lines); InputError naming the first bad line."""
    return load_jsonl(path, ConversationItem, "conversation")


# (an earlier turn as resolved, its gold answers) -> (a gold answer, the corpus line holding it)
FindLine = Callable[[str, list[str]], "tuple[str, str] | None"]


def play(
    ask: Ask,
    turns: list[str],
    conversation: Conversation | None = None,
    given: tuple[list[list[str]], FindLine] | None = None,
) -> list[Answer]:
    """Ask each turn in order, each resolved against the answers before it. `given` (the gold
    answers of every turn, and how to find the line that holds one) takes the earlier turns'
    answers from the gold instead of asking them: each is remembered as answered with its gold
    answer, cited from the corpus line that says it (as unanswered when no line does), so the
    last turn is resolved as if the reader had answered everything before it right."""
    conversation = conversation if conversation is not None else Conversation()
    answers = []
    for i, turn in enumerate(turns):
        standalone = conversation.resolve(turn)
        if given is not None and i < len(turns) - 1:
            golds, find = given
            found = find(standalone, golds[i]) if i < len(golds) and golds[i] else None
            text, line = found or ("", "")
            conversation.add(turn, standalone, text, [line] if line else [])
            answers.append(Answer(
                question=turn, answer=text or ABSTAIN_TEXT, abstained=not text, citations=[],
                retrieved=[], timings_ms=Timings(), model="gold",
                search_question=standalone if standalone != turn else "",
            ))  # fmt: skip
            continue
        answer = ask(turn, search_question=standalone, not_again=conversation.not_again)
        conversation.remember(answer)
        answers.append(answer)
    return answers


def evaluate_conversations(
    ask: Ask,
    items: list[ConversationItem],
    docs: Path,
    on_row: Callable[[dict], None] | None = None,
    new_conversation: Callable[[], Conversation] = Conversation,
    find_line: FindLine | None = None,
) -> dict:
    """Last-turn figures (overall, per kind, per conversation) beside the standalone ones. With
    `find_line` the earlier turns take their gold answers (see play): what is left between the
    last turn and the standalone question is then the resolver's, not earlier readings'."""
    rows, alone = [], []
    for item in items:
        given = (item.turn_answers, find_line) if find_line and item.turn_answers else None
        answers = play(ask, item.turns, new_conversation(), given)
        last = answers[-1]
        row = score_one(item.gold(item.turns[-1]), last, docs)
        row["searched"] = last.search_question or last.question
        row["earlier"] = [a.answer for a in answers[:-1]]
        solo = score_one(item.gold(item.standalone), ask(item.standalone), docs)
        row["standalone"] = {k: solo.get(k) for k in ("question", "answer", "abstained", "correct")}
        rows.append(row)
        alone.append(solo)
        if on_row:
            on_row(row)
    kinds = sorted({r["kind"] for r in rows if r["kind"]})
    return {
        "overall": summarize(rows),
        "standalone": summarize(alone),
        "by_kind": {
            k: {
                "last_turn": summarize([r for r in rows if r["kind"] == k]),
                "standalone": summarize([r for r in alone if r["kind"] == k]),
            }
            for k in kinds
        },
        "conversations": rows,
    }


def score_conversation_file(ask: Ask, path: Path, docs: Path) -> dict:
    """Load a conversation file and score it (what `qa eval` calls for conversations)."""
    return evaluate_conversations(ask, load_conversations(path), docs)


FIGURES = ("accuracy", "abstention_accuracy", "wrongful_abstention", "citation_recall")


def markdown(report: dict, title: str) -> str:
    """The report as Markdown: last turn against standalone, overall and per kind, then rows."""
    groups = {"overall": (report["overall"], report["standalone"])}
    groups |= {k: (v["last_turn"], v["standalone"]) for k, v in report["by_kind"].items()}
    out = [f"# {title}", "", "| | n | " + " | ".join(f"{f} (last · alone)" for f in FIGURES) + " |"]
    out.append("|---" * (len(FIGURES) + 2) + "|")
    for name, (last, alone) in groups.items():
        cells = [f"{_fmt(last.get(f))} · {_fmt(alone.get(f))}" for f in FIGURES]
        out.append(f"| {name} | {last['questions']} | " + " | ".join(cells) + " |")
    out += ["", "| id | kind | ok | searched | answer |", "|---|---|---|---|---|"]
    for r in report["conversations"]:
        ok = r.get("correct", r["abstained"])
        cells = [r["id"], r["kind"], "yes" if ok else "no", r["searched"], r["answer"]]
        out.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(out) + "\n"


def _fmt(value: object) -> str:
    return "—" if value is None else str(value)


def brief(report: dict) -> str:
    """One line per figure: last turn against standalone."""
    out = []
    for key in FIGURES:
        a, b = report["overall"].get(key), report["standalone"].get(key)
        out.append(f"{key}: last turn {a} · standalone {b}")
    return "\n".join(out)
