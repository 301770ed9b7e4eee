"""What the HTTP routes take and give: request and response bodies (pydantic), in one place."""

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

EXAMPLE_QUESTION = "How many Kinzhal missiles did Ukraine say it shot down over Kyiv?"


class CitedLines(BaseModel):
    """Lines an earlier answer cited; re-read from the corpus, whatever quote came with them."""

    model_config = ConfigDict(extra="ignore")

    file: StrictStr = Field(max_length=500)
    start_line: StrictInt = Field(ge=1)
    end_line: StrictInt = Field(ge=1)


class EarlierTurn(BaseModel):
    """One earlier question of the conversation, with what qa answered."""

    model_config = ConfigDict(extra="ignore")

    question: StrictStr = Field(max_length=2000, description="The question as asked.")
    answer: StrictStr = Field("", max_length=2000, description="The answer; '' if it abstained.")
    abstained: StrictBool = Field(False, description="True when the answer abstained.")
    citations: list[CitedLines] = Field([], max_length=10, description="Lines it cited.")


class AskRequest(BaseModel):
    """A question for /ask."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"question": EXAMPLE_QUESTION}]}
    )

    question: StrictStr = Field(description="The question, in plain words.")
    top_k: StrictInt | None = Field(None, ge=1, le=20, description="Passages whose lines are read.")
    stream: StrictBool = Field(False, description="Answer as Server-Sent Events.")
    history: list[EarlierTurn] = Field(
        [],
        max_length=20,
        description="Earlier turns of the conversation, oldest first: a follow-up ('what did he "
        "say?') is resolved against them. Earlier answers count only through their cited lines, "
        "re-read from the corpus.",
    )


class SourceLine(BaseModel):
    """One numbered line of an article."""

    number: int
    text: str


class Source(BaseModel):
    """Lines of one corpus file."""

    file: str
    title: str
    total_lines: int
    start: int
    end: int
    lines: list[SourceLine]


class Article(BaseModel):
    """An indexed article."""

    file: str
    title: str
    lines: int


class Health(BaseModel):
    """Whether the service is ready, and what it serves."""

    status: str
    model: str
    embedder: str
    files: int
    chunks: int
    index_built_at: str
    index_build: str = Field(description="The live build of the index (its folder name).")
    index_updating: bool = Field(
        False, description="True while changed articles are being re-indexed."
    )
    index_watching: bool = Field(
        False, description="True once changes to the articles folder are being watched."
    )
