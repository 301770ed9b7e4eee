"""Reading: rank the retrieved lines, then a Reader takes the answer out of the best of them."""

from qa.read.base import Reader, Reading, Token
from qa.read.lines import Line, LineRanker, boilerplate
from qa.read.readers import ChoiceReader, ModelReader, SpanReader
from qa.read.rules import (
    Span,
    answer_type,
    best_spans,
    capitalised_runs,
    spans,
    type_phrase,
    variant,
)
from qa.text import DEMONYM

__all__ = [
    "DEMONYM", "ChoiceReader", "Line", "LineRanker", "ModelReader", "Reader", "Reading", "Span",
    "SpanReader", "Token", "answer_type", "best_spans", "boilerplate", "capitalised_runs",
    "spans", "type_phrase", "variant",
]  # fmt: skip
