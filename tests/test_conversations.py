"""Conversation scoring with a fake ask: the last turn is resolved, scored, compared standalone."""

import json
from pathlib import Path

import pytest

from qa.answer import ABSTAIN_TEXT, Answer, Timings
from qa.cite import Citation
from qa.conversations import brief, evaluate_conversations, load_conversations, markdown
from qa.errors import InputError

DOC = "f.txt"
LINES = ["Deputy Defense Minister Hanna Maliar reported on July 3.",
         "Maliar said 40 square kilometres were liberated."]  # fmt: skip


class FakeAsk:
    """Answers from a script keyed by the searched question; records what was searched."""

    def __init__(self, script: dict[str, tuple[str, int]]) -> None:
        self.script = script
        self.searched: list[str] = []

    def __call__(self, question: str, search_question: str | None = None, not_again=()) -> Answer:
        query = search_question or question
        self.searched.append(query)
        text, line = self.script.get(query, ("", 0))
        cite = Citation(file=DOC, start_line=line, end_line=line, quote=LINES[line - 1])
        cites = [cite] if text else []
        return Answer(question=question, answer=text or ABSTAIN_TEXT, abstained=not text,
                      citations=cites, retrieved=[], timings_ms=Timings(), model="fake",
                      search_question=query if query != question else "")  # fmt: skip


def item(**kw) -> dict:
    base = {"id": "c1", "kind": "answer_entity",
            "turns": ["Who is the deputy defence minister?", "How much did she say was liberated?"],
            "turn_answers": [["Hanna Maliar"], ["40 square kilometres"]],
            "standalone": "How much did Hanna Maliar say was liberated?",
            "answers": ["40 square kilometres"], "evidence": [f"{DOC}:2"],
            "answerable": True}  # fmt: skip
    return base | kw


def write(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "conv.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def test_last_turn_is_resolved_scored_and_compared(tmp_path):
    (tmp_path / DOC).write_text("\n".join(LINES) + "\n")
    items = load_conversations(write(tmp_path, [item(), item(id="c2", kind="unanswerable",
        answerable=False, answers=[], evidence=[],
        turns=["Who is the deputy defence minister?", "What did she say Russia lost?"],
        standalone="What did Hanna Maliar say Russia lost?")]))  # fmt: skip
    ask = FakeAsk({
        "Who is the deputy defence minister?": ("Hanna Maliar", 1),
        "How much did Hanna Maliar say was liberated?": ("40 square kilometres", 2),
    })  # fmt: skip
    report = evaluate_conversations(ask, items, tmp_path)
    assert "How much did Hanna Maliar say was liberated?" in ask.searched
    assert report["overall"]["accuracy"] == 1.0
    assert report["standalone"]["accuracy"] == 1.0
    assert report["overall"]["citation_recall"] == 1.0
    assert report["overall"]["abstention_accuracy"] == 1.0  # c2's last turn has no scripted answer
    row = report["conversations"][0]
    assert row["searched"] == "How much did Hanna Maliar say was liberated?"
    assert row["earlier"] == ["Hanna Maliar"]
    assert set(report["by_kind"]) == {"answer_entity", "unanswerable"}
    table = markdown(report, "seeds")
    assert "| overall | 2 | 1.0 · 1.0 |" in table and "How much did Hanna Maliar say" in table
    assert brief(report).splitlines()[0] == "accuracy: last turn 1.0 · standalone 1.0"


def test_an_abstained_first_turn_leaves_the_follow_up_unresolved(tmp_path):
    (tmp_path / DOC).write_text("\n".join(LINES) + "\n")
    ask = FakeAsk({"How much did Hanna Maliar say was liberated?": ("40 square kilometres", 2)})
    report = evaluate_conversations(ask, load_conversations(write(tmp_path, [item()])), tmp_path)
    assert report["overall"]["accuracy"] == 0.0
    assert report["overall"]["wrongful_abstention"] == 1.0
    assert report["standalone"]["accuracy"] == 1.0


def test_gold_earlier_answers_stand_in_for_the_earlier_readings(tmp_path):
    (tmp_path / DOC).write_text("\n".join(LINES) + "\n")
    items = load_conversations(write(tmp_path, [item()]))
    # the reader would have answered the first turn wrongly; with the gold answer given, the
    # first turn is not asked and the follow-up is searched about Hanna Maliar
    ask = FakeAsk({
        "Who is the deputy defence minister?": ("Deputy Defense Minister", 1),
        "How much did Hanna Maliar say was liberated?": ("40 square kilometres", 2),
    })  # fmt: skip
    looked: list[tuple[str, list[str]]] = []

    def find(question, golds):
        looked.append((question, golds))
        line = next((t for t in LINES if golds[0] in t), None)
        return (golds[0], line) if line else None

    report = evaluate_conversations(ask, items, tmp_path, find_line=find)
    assert looked == [("Who is the deputy defence minister?", ["Hanna Maliar"])]
    assert "Who is the deputy defence minister?" not in ask.searched
    row = report["conversations"][0]
    assert row["searched"] == "How much did Hanna Maliar say was liberated?"
    assert row["earlier"] == ["Hanna Maliar"] and row["correct"]
    # no line says the gold answer: the earlier turn counts as unanswered, as an abstention would
    ask.searched.clear()
    none = evaluate_conversations(ask, items, tmp_path, find_line=lambda q, g: None)
    assert none["conversations"][0]["earlier"] == [ABSTAIN_TEXT]
    assert none["conversations"][0]["searched"] != "How much did Hanna Maliar say was liberated?"
    # without find_line the earlier turn is asked, and its wrong answer leads the follow-up
    asked = evaluate_conversations(ask, items, tmp_path)
    assert "Who is the deputy defence minister?" in ask.searched
    assert asked["conversations"][0]["earlier"] == ["Deputy Defense Minister"]


@pytest.mark.parametrize(
    "row, message",
    [
        (item(turns=["only one"]), "turns"),
        (item(turns=["a", " "]), "a turn is empty"),
        (item(turn_answers=[["x"]]), "one list per turn"),
        (item(evidence=["f.txt"]), "not file:line"),
        (item(answers=[]), "needs answers"),
        (item(standalone=""), "standalone"),
    ],
)
def test_loader_names_the_bad_line(tmp_path, row, message):
    with pytest.raises(InputError, match=rf"conv.jsonl:2: .*{message}"):
        load_conversations(write(tmp_path, [item(id="ok"), row]))


def test_loader_rejects_duplicates_and_empty_files(tmp_path):
    with pytest.raises(InputError, match="duplicate id"):
        load_conversations(write(tmp_path, [item(), item()]))
    with pytest.raises(InputError, match="no conversations"):
        load_conversations(write(tmp_path, []))


def test_the_gold_conversation_files_load():
    gold = Path(__file__).parent / "gold" / "conversations"
    for name in (
        "seeds",
        "council",
        "transfer",
        "recall",
        "devvote",
        "flood",
        "devair",
        "devbridge",
    ):
        assert len(load_conversations(gold / f"{name}.jsonl")) >= 10


def test_gold_line_prefers_the_retrieved_line_and_keeps_the_line_s_spelling():
    from types import SimpleNamespace as NS

    from qa.suite import gold_line

    ranked = ["Maliar spoke on July 3.", "Deputy minister HANNA MALIAR said 40 were freed."]
    pipeline = NS(
        settings=NS(retrieve_k=10),
        retriever=NS(search=lambda q, k: []),
        lines=NS(rank_lines=lambda q, passages: [NS(text=t) for t in ranked]),
        store=NS(documents={"a.txt": NS(lines=["Hanna Maliar, in another file.", "Kyiv"])}),
    )
    find = gold_line(pipeline)
    # the best-ranked retrieved line that says a gold answer, as that line spells it
    assert find("Who?", ["Hanna Maliar", "Maliar"]) == ("Maliar", ranked[0])
    assert find("Who?", ["Hanna Maliar"]) == ("HANNA MALIAR", ranked[1])
    # not among the retrieved lines: anywhere in the corpus; a word inside another is no match
    assert find("Where?", ["Kyiv"]) == ("Kyiv", "Kyiv")
    assert find("Who?", ["Mali"]) is None


@pytest.mark.parametrize(
    "answer, line, found",
    [
        ("3%", "Inflation rose 2.3% in May.", None),  # not inside another number
        ("12", "It weighs 12.5 tonnes.", None),
        ("12", "It opened on March 12.", "12"),
        ("Wagner's fighters", "Wagner’s fighters left.", "Wagner’s fighters"),
        ("$4.5 million", "He paid US$4.5 million.", "$4.5 million"),
        ("Maliar", "HANNA MALIAR said", "MALIAR"),
        ("Mali", "Hanna Maliar said", None),
    ],
)
def test_a_gold_answer_is_found_as_a_line_says_it(answer, line, found):
    from qa.cite import said_as

    match = said_as(answer).search(line)
    assert (match.group(0) if match else None) == found
