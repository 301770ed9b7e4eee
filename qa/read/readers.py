"""The three readers: the span rules, the model writing, the model choosing among the rules'
candidates. Each only reads; the pipeline cleans, cites and applies the policy."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from qa.generate import GenerationStats, Generator
from qa.read.base import Reading, Token
from qa.read.lines import Line, LineRanker
from qa.read.rules import Span, answer_type, best_spans

# how an abstention names what the best lines lacked
KIND_WORDS = {"proper": "name of the kind asked for", "often": "frequency", "meaning": "gloss"}
Prompt = Callable[[str, list[Line], int | None], list[dict]]


class SpanReader:
    """The rules: the best typed span of the best lines. A question of no type goes to the
    model (`fallback`), which writes a short answer from the best lines."""

    name = "spans"

    def __init__(self, ranker: LineRanker, max_choices: int, fallback: ModelReader) -> None:
        self.ranker = ranker
        self.max_choices = max_choices
        self.fallback = fallback

    def candidates(self, question: str, lines: list[Line]) -> tuple[str, list[Span]]:
        """The question's answer type and the rules' candidates, best first."""
        kind = answer_type(question)
        return kind, best_spans(kind, question, lines, self.ranker.rarity, fit=self.ranker.fit)

    def read(
        self,
        question: str,
        lines: list[Line],
        should_stop: Callable[[], bool] | None = None,
        shown: int | None = None,
    ) -> Iterator[Token | Reading]:
        """The top candidate, or the model's reply for a question of no type."""
        kind, spans = self.candidates(question, lines)
        if not spans and kind != "other":  # asked how many, and the lines hold no number
            yield Reading(reason=f"the best lines hold no {KIND_WORDS.get(kind, kind)}")
        elif spans:
            yield Token(spans[0].text)
            yield Reading(spans[0].text, "spans", spans[0], spans)
        else:
            yield from self.fallback.read(question, lines, should_stop, shown=shown)


class ModelReader:
    """The model writes a short answer (or "not stated") from the best lines; the pipeline finds
    the line that holds it."""

    name = "model"

    def __init__(self, generator: Generator, prompt: Prompt, max_tokens: int) -> None:
        self.generator = generator
        self.prompt = prompt
        self.max_tokens = max_tokens

    def read(
        self,
        question: str,
        lines: list[Line],
        should_stop: Callable[[], bool] | None = None,
        choices: list[str] | None = None,
        shown: int | None = None,
    ) -> Iterator[Token | Reading]:
        """Stream the model's reply (held to `choices` by a grammar when given) from the best
        `shown` lines (the pipeline's number when None)."""
        stats = GenerationStats()
        pieces = []
        for piece in self.generator.stream(
            self.prompt(question, lines, shown),
            self.max_tokens,
            stats,
            should_stop,
            stop=["\n"],
            choices=choices,
        ):
            pieces.append(piece)
            yield Token(piece)
        yield Reading("".join(pieces), "model", stats=stats)


class ChoiceReader:
    """The model picks one of the rules' candidates, or "not stated", under a grammar."""

    name = "choice"

    def __init__(self, spans: SpanReader, model: ModelReader) -> None:
        self.spans = spans
        self.model = model

    def read(
        self,
        question: str,
        lines: list[Line],
        should_stop: Callable[[], bool] | None = None,
        shown: int | None = None,
    ) -> Iterator[Token | Reading]:
        """The model's pick; the span it picked is the citation."""
        kind, spans = self.spans.candidates(question, lines)
        choices = list(dict.fromkeys(s.text for s in spans))[: self.spans.max_choices]
        if not choices and kind != "other":
            yield Reading(reason=f"the best lines hold no {KIND_WORDS.get(kind, kind)}")
            return
        reading = None
        for event in self.model.read(
            question,
            lines,
            should_stop,
            choices + ["not stated"] if choices else None,
            shown=shown,
        ):
            if isinstance(event, Reading):
                reading = event
            else:
                yield event
        reading.candidates = spans
        reading.span = next((s for s in spans if s.text == reading.raw.strip()), None)
        yield reading
