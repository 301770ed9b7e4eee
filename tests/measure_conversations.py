"""Score a conversation file with the real pipeline: last turn against standalone.

Usage: QA_DOCS=seeds QA_INDEX_DIR=/tmp/followidx python tests/measure_conversations.py FILE [OUT]
"""

import json
import sys
from pathlib import Path

from qa import followup
from qa.conversations import brief, evaluate_conversations, load_conversations
from qa.pipeline import Pipeline
from qa.settings import Settings


class Questions:
    """The first resolver's interface (rewrite/add) seen through resolve/remember."""

    def __init__(self) -> None:
        self.inner = followup.Conversation()

    def resolve(self, question: str) -> str:
        return self.inner.rewrite(question)

    def remember(self, answer) -> None:
        self.inner.add(answer.search_question or answer.question)


def main() -> None:
    settings = Settings()
    pipeline = Pipeline.from_settings(settings)
    items = load_conversations(Path(sys.argv[1]))
    new = followup.Conversation if hasattr(followup.Conversation, "resolve") else Questions
    report = evaluate_conversations(pipeline.ask, items, settings.docs, new_conversation=new)
    print(brief(report))
    for kind, figures in report["by_kind"].items():
        a, s = figures["last_turn"], figures["standalone"]
        print(
            f"  {kind}: accuracy {a['accuracy']} (standalone {s['accuracy']}), "
            f"abstention {a['abstention_accuracy']} ({s['abstention_accuracy']})"
        )
    if len(sys.argv) > 2:
        Path(sys.argv[2]).write_text(json.dumps(report, indent=1, default=str))


if __name__ == "__main__":
    main()
