"""The pipeline all interfaces use: question -> retrieve -> generate -> cite -> Answer."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from qa.answer import ABSTAIN_TEXT, Answer, Timings
from qa.build import BuildReport, Progress, build_index
from qa.cite import cite, line_citation, line_saying
from qa.compound import added, answer_in_parts, split
from qa.drift import freshen
from qa.embed import Embedder
from qa.embed_remote import make_embedder
from qa.errors import BusyError, IndexMissingError, IndexStaleError, InputError
from qa.generate import (
    Generator,
    LlamaGenerator,
    RemoteGenerator,
    SlowGenerator,
)
from qa.integrity import validate
from qa.policy import Policy
from qa.prompt import load_prompts
from qa.read import ChoiceReader, Line, LineRanker, ModelReader, Reader, Reading, SpanReader, Token
from qa.reply import ALTERNATIVES, NOT_STATED, clean, excerpt, novelty
from qa.retrieve import Passage, Retriever
from qa.settings import Settings
from qa.store import Store, load_store
from qa.stores import make_store, open_store_for
from qa.swap import Loaded, Swappable
from qa.text import content_words, qualified

log = logging.getLogger(__name__)


class Pipeline(Swappable):
    """Loaded models, index and prompts; ask() turns a question into an Answer."""

    def __init__(
        self, settings: Settings, store: Store, embedder: Embedder, generator: Generator
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.generator = generator
        self.prompts = load_prompts(settings.prompts_dir)
        self._init_loaded(self.load(store))
        self.reader_mode = settings.reader_mode()

    def load(self, store: Store) -> Loaded:
        """A build of the index with its retriever and line ranker (word rarity, BM25)."""
        # the local segments are searched here (FAISS and BM25 terms); another store searches itself
        local = hasattr(store, "segments")
        retriever = Retriever(store, self.embedder, self.settings.hybrid) if local else store
        return Loaded(store, retriever, LineRanker(store, self.embedder))

    def swap_store(self, store: Store) -> None:
        """Serve another build of the index; asks already running finish on the old one."""
        self.swap(self.load(store), make_reader)

    @property
    def generator(self) -> Generator:
        """The model the readers write with."""
        return self._generator

    @generator.setter
    def generator(self, generator: Generator) -> None:
        self._generator = generator
        if hasattr(self, "_reader_mode"):
            self.reader = make_reader(self)  # the readers write with the new one

    @property
    def reader_mode(self) -> str:
        """spans, model or choice: who reads the answer out of the lines."""
        return self._reader_mode

    @reader_mode.setter
    def reader_mode(self, mode: str) -> None:
        self._reader_mode = mode
        # lines the model reads: a reader model sees more than the rules' fallback does
        self.shown = self.settings.model_lines if mode == "model" else self.settings.context_lines
        # a follow-up's line ranks lower (settings.followup_lines): more lines when the model reads
        more = self.settings.followup_lines if mode == "model" else 0
        self.shown_followup = max(self.shown, more)
        # a model that reads every question is told when to decline (prompts/reader.txt)
        self.system_prompt = "reader" if mode == "model" else "system"
        self.reader = make_reader(self)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        on_build: Callable[[str], None] | None = None,
        progress: Progress | None = None,
    ) -> Pipeline:
        """Load everything, building the index first when there is none or it is stale."""
        local = settings.local_store
        if local and (settings.index_dir / "current").exists():
            try:
                validate(settings.index_dir)  # a damaged index is named before any model loads
            except IndexStaleError:
                pass  # written by another version of qa: rebuilt below
        embedder = make_embedder(settings)
        if local:
            store = open_store(settings, embedder, on_build, progress)
        else:  # Milvus (a Lite file or a server): it searches itself, hybrid inside Milvus
            store = open_store_for(settings, embedder, on_build, progress)
        return cls(settings, store, embedder, make_generator(settings))

    @property
    def policy(self) -> Policy:
        """The abstention policy of the current settings."""
        return Policy.from_settings(self.settings)

    def for_docs(self, docs: Path, on_build: Callable[[str], None] | None = None) -> Pipeline:
        """A pipeline over another folder of articles with its own index (built if needed),
        sharing this one's loaded models."""
        settings = self.settings.for_docs(docs)
        if settings is self.settings:
            return self
        store = open_store(settings, self.embedder, on_build)
        return Pipeline(settings, store, self.embedder, self.generator)

    def check_question(self, question: str) -> str:
        """The question stripped, or InputError."""
        if not isinstance(question, str) or not question.strip():
            raise InputError("the question is empty")
        if len(question) > self.settings.max_question_chars:
            raise InputError(
                f"the question is {len(question)} characters; "
                f"the limit is {self.settings.max_question_chars}"
            )
        return question.strip()

    def search(self, question: str, k: int | None = None) -> list[Passage]:
        """Retrieval only."""
        return self.retriever.search(self.check_question(question), k or self.settings.retrieve_k)

    def ask(self, question: str, top_k: int | None = None, **kw) -> Answer:
        """Answer a question (see ask_stream)."""
        return last_answer(self.ask_stream(question, top_k, **kw))

    def ask_stream(
        self,
        question: str,
        top_k: int | None = None,
        search_question: str | None = None,
        should_stop: Callable[[], bool] | None = None,
        not_again: Sequence[str] = (),
    ) -> Iterator[Token | Answer]:
        """Yield Tokens as the model writes, then the Answer, all from one build of the index.
        A question that asks two things is read in two parts and its joined answer comes as one
        Token. not_again: answers an ellipsis follow-up asks past ("And by May 20?" after
        "1,400")."""
        with self.pinned():
            asked = (search_question or question or "").strip()
            parts = split(asked) if self.settings.two_part and not not_again else None
            if parts is None:
                yield from self._answer(question, top_k, search_question, should_stop, not_again)
                return
            question = self.check_question(question)  # the whole is held to the limits too
            started = time.perf_counter()
            stopped = should_stop or (lambda: False)

            def one(part: str, searched: str | None, past: Sequence[str]) -> Answer:
                return last_answer(self._answer(part, top_k, searched, should_stop, past))

            whole, read = answer_in_parts(one, question, parts, stopped)
            if whole is None and stopped():  # no more readings once the asker has gone
                whole = read[-1].model_copy(update={"question": question})
                whole.timings_ms = added(a.timings_ms for a in read)
            if whole is not None:
                whole.search_question = asked if asked != question else ""
                whole.timings_ms.total = round((time.perf_counter() - started) * 1000, 1)
                yield Token(whole.answer)
                yield whole
                return
            # a part found nothing: the whole question read as one; the parts' time counts
            for event in self._answer(question, top_k, search_question, should_stop):
                if isinstance(event, Answer):
                    spent = added([*(a.timings_ms for a in read), event.timings_ms])
                    spent.total = round((time.perf_counter() - started) * 1000, 1)
                    event.timings_ms = spent
                    event.prompt_tokens += sum(a.prompt_tokens for a in read)
                    event.completion_tokens += sum(a.completion_tokens for a in read)
                yield event

    def _answer(
        self,
        question: str,
        top_k: int | None,
        search_question: str | None,
        should_stop: Callable[[], bool] | None,
        not_again: Sequence[str] = (),
    ) -> Iterator[Token | Answer]:
        started = time.perf_counter()
        question = self.check_question(question)
        query = (search_question or question).strip()
        k = top_k or self.settings.top_k
        vector = self.embedder.embed_batch([query])[0]  # embedded once: retrieval and reading
        retrieved = self.retriever.search(query, max(k, self.settings.retrieve_k), vector)
        passages = retrieved[:k]
        # a follow-up the conversation resolved: its search says what the typed words do not
        # ("ok." or a double space taken out is no follow-up)
        followup = bool(content_words(query) - content_words(question))
        if followup:  # its own words may find what the rewrite buries
            seen = {p.id for p in passages}
            passages += [p for p in self.retriever.search(question, k) if p.id not in seen]
        retrieve_ms = (time.perf_counter() - started) * 1000
        result = Answer(
            question=question,
            answer=ABSTAIN_TEXT,
            abstained=True,
            citations=[],
            retrieved=retrieved,
            timings_ms=Timings(retrieve=round(retrieve_ms, 1)),
            model=self.generator.name,
            search_question=query if query != question else "",
        )
        # a resolved follow-up says what the question means: it picks the line and the answer
        lines = self.lines.rank_lines(query, passages, vector)
        if lines:
            result.signals["evidence"] = round(lines[0].dense, 4)
        unknown = self.lines.unknown_names(question) if self.policy.unknown_names else []
        result.abstain_reason = self.policy.before_reading(result.signals, unknown, followup)
        if not result.abstain_reason:
            # a follow-up's wording is terser than a standalone question's: its line ranks lower
            shown = self.shown_followup if followup else self.shown
            if not not_again:
                yield from self._read(result, query, lines, should_stop, shown)
            else:  # held back until the reading to keep is known: what streams is what answers
                tokens = list(self._read(result, query, lines, should_stop, shown))
                if repeats(result, not_again):
                    past = self._read_past(result, query, lines, should_stop, shown, not_again)
                    tokens = past or tokens
                yield from tokens
        freshen(result, self.settings.docs, self.store.manifest)  # never cite a changed line
        result.timings_ms.total = round((time.perf_counter() - started) * 1000, 1)
        yield result

    def _read_past(
        self,
        result: Answer,
        question: str,
        lines: list[Line],
        should_stop: Callable[[], bool] | None,
        shown: int,
        not_again: Sequence[str],
    ) -> list[Token]:
        """The reply repeats an earlier answer the follow-up asks past: read once more without
        the lines that hold it, and keep that reading only when it answers. Returns its tokens
        when it is kept. Timings and token counts add up both readings, whichever is kept."""
        said = [re.compile(rf"(?<!\w){re.escape(a)}(?!\w)", re.IGNORECASE) for a in not_again]
        rest = [ln for ln in lines if not any(p.search(ln.text) for p in said)]
        if not rest or rest[:shown] == lines[:shown]:
            return []  # no other line to read, or the same lines: the same reply
        again = result.model_copy(deep=True)
        again.answer, again.abstained, again.citations = ABSTAIN_TEXT, True, []
        again.abstain_reason = ""
        again.timings_ms = Timings(retrieve=result.timings_ms.retrieve)
        again.prompt_tokens = again.completion_tokens = 0
        try:
            tokens = list(self._read(again, question, rest, should_stop, shown))
        except (BusyError, TimeoutError):
            return []  # the model is busy or time is up: the first reading stands
        spent = Timings(
            retrieve=result.timings_ms.retrieve,
            queue=round(result.timings_ms.queue + again.timings_ms.queue, 1),
            generate=round(result.timings_ms.generate + again.timings_ms.generate, 1),
        )
        prompt = result.prompt_tokens + again.prompt_tokens
        completion = result.completion_tokens + again.completion_tokens
        kept = not again.abstained and not repeats(again, not_again)
        if kept:
            for name in type(result).model_fields:
                setattr(result, name, getattr(again, name))
        result.timings_ms = spent
        result.prompt_tokens, result.completion_tokens = prompt, completion
        return tokens if kept else []

    def supported(self, text: str, question: str, lines: list[Line], shown: int) -> bool:
        """Most of the reply's own words (not the question's) stand in one of the best lines."""
        new = content_words(text) - content_words(question)
        if not new:
            return True
        best = max(len(new & content_words(ln.text)) for ln in lines[: shown + 1])
        return best / len(new) >= self.settings.min_support

    def messages(self, question: str, lines: list[Line], shown: int | None = None) -> list[dict]:
        """The chat the model sees: the fixed system prompt (llama.cpp caches it), then the
        best `shown` lines (self.shown when None)."""
        shown = shown or self.shown
        context = "\n".join(excerpt(ln.text, question) for ln in lines[:shown])
        user = self.prompts["answer"].render(passages=context, question=question)
        return [
            {"role": "system", "content": self.prompts[self.system_prompt].render()},
            {"role": "user", "content": user},
        ]

    def _read(
        self,
        result: Answer,
        question: str,
        lines: list[Line],
        should_stop: Callable[[], bool] | None,
        shown: int,
    ) -> Iterator[Token]:
        """Let the reader find the answer in the best lines; fill in result (answer and citations,
        or the abstention and its reason)."""
        gen_start = time.perf_counter()
        reading = Reading()
        for event in self.reader.read(question, lines, should_stop, shown=shown):
            if isinstance(event, Reading):
                reading = event
            else:
                yield event
        if reading.reason:
            result.abstain_reason = reading.reason
            return
        result.answered_by = reading.answered_by
        if reading.answered_by == "model":
            result.timings_ms.queue = round(reading.stats.queue_ms, 1)
            result.timings_ms.generate = round((time.perf_counter() - gen_start) * 1000, 1)
            result.prompt_tokens = reading.stats.prompt_tokens
            result.completion_tokens = reading.stats.completion_tokens
        result.raw_answer = raw = reading.raw
        text = clean(raw, question)
        if not text or NOT_STATED.match(text):
            result.abstain_reason = "the model found no answer in the passages"
            return
        if len(text.split()) > self.settings.max_answer_words:
            result.abstain_reason = "the model could not answer briefly from the lines"
            return
        chosen = next((s for s in reading.candidates if s.text == text), None)
        shown_lines = [(ln.file, ln.number, ln.text) for ln in lines[: shown + 1]]
        said = line_saying(text, shown_lines) if chosen is None else None
        text, found = said or (text, None)  # "21 days" for "a 21-day strike": the line's words
        if chosen is None and not found and not self.supported(text, question, lines, shown):
            result.abstain_reason = "the reply says things the retrieved lines do not"
            return
        if chosen is not None:  # the rules' span: its own line and offset
            line = chosen.line
            text = qualified(text, line.text, chosen.start)  # "more than 40", as the line says
            citations = [line_citation(self.store, line.file, line.number, at=chosen.start)]
        elif found:  # the reply stands word for word in a line the model was shown
            text = qualified(text, next(t for f, n, t in shown_lines if (f, n) == found))
            citations = [line_citation(self.store, *found, answer=text)]
        else:
            citations = cite(text, question, shown_lines, self.store)
        if not citations:
            result.abstain_reason = "no retrieved line supports the reply"
            return
        asked = content_words(question)
        result.signals["coverage"] = round(
            max(len(asked & content_words(c.quote)) for c in citations) / max(len(asked), 1), 4
        )
        if chosen is not None and chosen.fit is not None:
            result.signals["fit"] = round(chosen.fit, 4)
        if not ALTERNATIVES.search(question):
            result.signals["novelty"] = novelty(text, question)
        result.abstain_reason = self.policy.after_reading(result.signals)
        if result.abstain_reason:
            return
        result.answer, result.abstained, result.citations = text, False, citations


def last_answer(events: Iterator[Token | Answer]) -> Answer:
    """The Answer that ends a stream of events."""
    answer = None
    for event in events:
        answer = event
    if not isinstance(answer, Answer):
        raise AssertionError("the stream ended without an answer")
    return answer


def repeats(answer: Answer, earlier: Sequence[str]) -> bool:
    """The answer says what one of the earlier answers said (the same words)."""
    words = content_words(answer.answer)
    return not answer.abstained and bool(words) and any(words == content_words(e) for e in earlier)


def make_reader(pipeline: Pipeline) -> Reader:
    """The reader the pipeline's settings ask for (auto resolved by the model's capability)."""
    settings = pipeline.settings
    model = ModelReader(pipeline.generator, pipeline.messages, settings.max_tokens)
    spans = SpanReader(pipeline.lines, settings.max_choices, fallback=model)
    return {"spans": spans, "model": model, "choice": ChoiceReader(spans, model)}[
        pipeline.reader_mode
    ]


def make_generator(settings: Settings) -> Generator:
    """llama.cpp in this process, or the OpenAI-compatible server at settings.llm_url."""
    generator = _make_generator(settings)
    if settings.token_delay_ms:
        return SlowGenerator(generator, settings.token_delay_ms / 1000)
    return generator


def _make_generator(settings: Settings) -> Generator:
    if settings.llm_url:
        return RemoteGenerator(
            settings.llm_url,
            settings.llm_model,
            settings.llm_api_key,
            settings.request_timeout,
            settings.llm_concurrency,
            settings.max_queue,
        )
    return LlamaGenerator(
        settings.model_path(),
        settings.n_ctx,
        settings.threads,
        settings.seed,
        max_waiting=settings.max_queue,
        chat_format=settings.chat_format,
    )


def open_store(
    settings: Settings,
    embedder: Embedder,
    on_build: Callable[[str], None] | None = None,
    progress: Progress | None = None,
) -> Store:
    """The index for these settings, built (or rebuilt when stale) if needed."""
    fingerprint = settings.index_fingerprint(embedder.name, embedder.dim)
    try:
        return load_store(settings.index_dir, fingerprint)
    except (IndexMissingError, IndexStaleError) as exc:
        if isinstance(exc, IndexMissingError) and (settings.index_dir / "current").exists():
            raise  # corrupt: never silently replaced, the message says to rebuild
        if on_build:
            on_build(f"{exc}; building the index now")
    store, report = index_now(settings, embedder, progress=progress)
    if on_build:
        on_build(f"index built: {report.summary()}")
    return store


def index_now(
    settings: Settings, embedder: Embedder, rebuild: bool = False, progress: Progress | None = None
) -> tuple[Store, BuildReport]:
    """Build or update the index of the store settings name (local files or Milvus)."""
    if not settings.local_store:
        store = make_store(settings, embedder)
        return store, store.build(rebuild=rebuild, progress=progress)
    return build_index(settings, embedder, rebuild=rebuild, progress=progress)
