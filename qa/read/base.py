"""The reader seam: a question and its ranked lines in, a reply and the line it came from out."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from qa.generate import GenerationStats
from qa.read.lines import Line
from qa.read.rules import Span


@dataclass
class Token:
    """A piece of the reply, as it is written."""

    text: str


@dataclass
class Reading:
    """What a reader made of the lines. `raw` is its reply before cleaning; `span` the rules'
    candidate it took (its line and offset are the citation), if it took one; `reason` why there
    is no reply, if there is none."""

    raw: str = ""
    answered_by: str = ""
    span: Span | None = None
    candidates: list[Span] = field(default_factory=list)
    reason: str = ""
    stats: GenerationStats = field(default_factory=GenerationStats)


class Reader(Protocol):
    """Reads an answer out of the best lines; streams Tokens, then one Reading."""

    name: str

    def read(
        self,
        question: str,
        lines: list[Line],
        should_stop: Callable[[], bool] | None = None,
        shown: int | None = None,
    ) -> Iterator[Token | Reading]: ...
