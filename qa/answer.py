"""Answer: the one object every interface returns."""

from __future__ import annotations

from pydantic import BaseModel, Field

from qa.cite import Citation
from qa.retrieve import Passage

ABSTAIN_TEXT = "The articles don't say."


class Timings(BaseModel):
    """Wall time of each stage, in milliseconds."""

    retrieve: float = Field(0.0, description="Embedding the question and searching.")
    queue: float = Field(0.0, description="Waiting for the model (other requests ahead).")
    generate: float = Field(0.0, description="The model writing its reply.")
    total: float = Field(0.0, description="Everything, end to end.")


class Answer(BaseModel):
    """A question, its answer and the evidence for it."""

    question: str = Field(description="The question as asked.")
    answer: str = Field(description="The answer a person reads.")
    abstained: bool = Field(description="True when the articles do not support an answer.")
    citations: list[Citation] = Field(description="Lines that support the answer, quoted exactly.")
    retrieved: list[Passage] = Field(description="Passages retrieved for the question, best first.")
    timings_ms: Timings = Field(description="Time spent per stage.")
    model: str = Field(description="The model that wrote the answer.")
    raw_answer: str = Field("", description="The model's reply before cleaning.")
    answered_by: str = Field(
        "",
        description="'model' when the model wrote or chose the answer, 'spans' when the span "
        "finder's best typed candidate was taken without the model.",
    )
    abstain_reason: str = Field("", description="Why the answer abstained, when it did.")
    stale: bool = Field(
        False,
        description="True when a file the answer cites (or cited, before its citation was dropped "
        "because the quote is no longer on those lines) changed on disk since it was indexed; "
        "`qa index` brings the index up to date.",
    )
    signals: dict[str, float] = Field(
        default_factory=dict,
        description="What abstention is decided on: evidence (the best line's similarity to the "
        "question), fit (the answer's similarity to the kind of thing asked for, for which/what "
        "questions), coverage (share of the question's words in the cited line), novelty (share "
        "of the answer's words that are not the question's). "
        "`qa eval --calibrate` finds the thresholds.",
    )
    search_question: str = Field("", description="The question used for retrieval, if rewritten.")
    parts: list[str] = Field(
        default_factory=list,
        description='For a question that asks two things ("how many according to the union, and '
        'according to the company?", "how did the cost change between the first estimate and '
        'the revised one?"): the two questions searched, one answer each, joined in `answer`.',
    )
    prompt_tokens: int = Field(0, description="Tokens in the prompt.")
    completion_tokens: int = Field(0, description="Tokens the model wrote.")
