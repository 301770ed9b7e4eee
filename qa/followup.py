"""Follow-up questions: rewrite "And what did Russia say about it?" into a standalone question.

Only earlier *questions* feed the rewrite, never earlier answers, so no claim the model made can
enter retrieval as if it were a fact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qa.cite import content_words

CONNECTIVE = re.compile(r"^\s*(and|but|so|also|then|what about|how about|and what about)\b[\s,]*",
                        re.IGNORECASE)  # fmt: skip
PRONOUN = re.compile(
    r"\b(it|its|they|them|their|he|him|his|she|her|that|this|those|these|there|the same)\b",
    re.IGNORECASE,
)
ENTITY = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][\w’'-]+")


def is_follow_up(question: str) -> bool:
    """A question that leans on the one before: opens with a connective, or points back with a
    pronoun while naming nothing of its own."""
    if CONNECTIVE.match(question):
        return True
    return bool(PRONOUN.search(question)) and not ENTITY.search(question.strip())


@dataclass
class Conversation:
    """The standalone questions asked so far."""

    questions: list[str] = field(default_factory=list)

    def rewrite(self, question: str) -> str:
        """The question to search with: a follow-up gains the topic words of the last question."""
        question = question.strip()
        if not self.questions or not is_follow_up(question):
            return question
        previous = self.questions[-1]
        asked = content_words(question)
        # the names the last question was about: its capitalised words after the first
        names = re.findall(r"(?<!^)\b[A-Z][\w’'-]*", previous.strip())
        topic = [
            w for w in names if w.lower() in content_words(previous) and w.lower() not in asked
        ]
        body = CONNECTIVE.sub("", question) or question
        body = body[0].upper() + body[1:]
        return f"{body} (about: {' '.join(dict.fromkeys(topic))})" if topic else body

    def add(self, standalone: str) -> None:
        """Remember a standalone question."""
        self.questions.append(standalone)

    def reset(self) -> None:
        """Forget the conversation."""
        self.questions.clear()
