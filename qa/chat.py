"""`qa chat`: a conversation with the articles in the terminal (or a script over a pipe)."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from qa.answer import Answer
from qa.errors import QAError
from qa.followup import Conversation
from qa.pipeline import Pipeline, Token

HELP = """Ask a question about the articles, or use a command:
  /sources N   the lines cited as [N], with the lines around them
  /retrieved   what was retrieved for the last question, with scores
  /why         the question as searched, and why an answer abstained
  /reset       forget the conversation
  /model       what is loaded
  /help        this text
  /quit        leave (Ctrl-D too)"""


def history_path() -> Path:
    """Where the prompt history lives across sessions."""
    from platformdirs import user_data_dir

    folder = Path(user_data_dir("qa"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "chat_history"


class Chat:
    """One conversation; handle() takes a line, answers or runs a command."""

    def __init__(
        self, pipeline: Pipeline, console: Console, json_out: bool = False, live: bool = False
    ) -> None:
        self.live = live  # stream tokens as the model writes (on a terminal)
        self.pipeline = pipeline
        self.console = console
        self.json_out = json_out
        self.conversation = Conversation()
        self.last: Answer | None = None

    def handle(self, line: str) -> bool:
        """Answer or run a command; False when the user wants to leave."""
        line = line.strip()
        if not line:
            return True
        if line.startswith("/"):
            return self.command(line)
        try:
            self.ask(line)
        except QAError as exc:
            self.console.print(Text(f"error: {exc}", style="red"))
        return True

    def command(self, line: str) -> bool:
        name, _, arg = line.partition(" ")
        if name in ("/quit", "/exit", "/q"):
            return False
        actions = {
            "/help": lambda: self.console.print(HELP),
            "/reset": self.reset,
            "/model": self.model,
            "/retrieved": self.retrieved,
            "/why": self.why,
            "/sources": lambda: self.sources(arg),
        }
        action = actions.get(name)
        if action is None:
            self.console.print(Text(f"unknown command {name}: try /help", style="yellow"))
        else:
            action()
        return True

    def ask(self, question: str) -> None:
        standalone = self.conversation.resolve(question)
        if standalone != question and not self.json_out:
            self.console.print(Text(f"↳ searching: {standalone}", style="dim"))
        stream = self.pipeline.ask_stream(
            question, search_question=standalone, not_again=self.conversation.not_again
        )
        answer = None
        streamed = ""
        try:
            for event in stream:
                if isinstance(event, Token) and self.live:
                    self.console.print(Text(event.text, style="dim"), end="")
                    streamed += event.text
                elif isinstance(event, Answer):
                    answer = event
        except KeyboardInterrupt:
            stream.close()  # stops the model and frees it for the next question
            self.console.print(Text("\n(stopped)", style="yellow"))
            return
        self.conversation.remember(answer)
        self.last = answer
        if self.json_out:
            print(answer.model_dump_json(), flush=True)
            return
        if streamed and not answer.abstained and streamed.strip() == answer.answer:
            self.show(answer, markers_only=True)  # the answer is on screen already
            return
        if streamed:
            self.console.print()
        self.show(answer)

    def show(self, answer: Answer, markers_only: bool = False) -> None:
        if answer.abstained:
            self.console.print(Text(answer.answer, style="bold yellow"))
            self.console.print(Text(f"({answer.abstain_reason})", style="dim"))
            for p in answer.retrieved[:3]:
                self.console.print(Text(f"  closest: {p.file}:{p.start_line}-{p.end_line}",
                                        style="dim"))  # fmt: skip
            return
        markers = " ".join(f"[{i}]" for i in range(1, len(answer.citations) + 1))
        if markers_only:
            self.console.print(Text(f" {markers}", style="bold"))
        else:
            self.console.print(Text(f"{answer.answer} {markers}", style="bold"))
        if answer.parts:  # a question that asks two things was asked as two
            parts = " · ".join(answer.parts)
            self.console.print(Text(f"↳ asked in two parts: {parts}", style="dim"))
        for i, c in enumerate(answer.citations, 1):
            line = Text(f"[{i}] {c.file}:{c.start_line}-{c.end_line} ", style="cyan")
            line.append(f'"{c.quote}"', style="default")
            self.console.print(line)

    def reset(self) -> None:
        self.conversation.reset()
        self.last = None
        self.console.print(Text("conversation forgotten", style="dim"))

    def model(self) -> None:
        p = self.pipeline
        self.console.print(
            f"model {p.generator.name} · embedder {p.embedder.name} · "
            f"{len(p.store.documents)} files, {p.store.size} chunks · "
            f"index built {p.store.manifest.get('built_at', '?')}"
        )

    def retrieved(self) -> None:
        if self.last is None:
            self.console.print("nothing asked yet")
            return
        table = Table("#", "passage", "cosine", "bm25", box=None)
        for i, p in enumerate(self.last.retrieved, 1):
            table.add_row(str(i), f"{p.file}:{p.start_line}-{p.end_line}", f"{p.score:.3f}",
                          f"{p.lexical:.2f}")  # fmt: skip
        self.console.print(table)

    def why(self) -> None:
        if self.last is None:
            self.console.print("nothing asked yet")
            return
        searched = self.last.search_question or self.last.question
        self.console.print(Text(f"searched: {searched}", style="dim"))
        if self.last.abstained:
            self.console.print(Text(f"abstained: {self.last.abstain_reason}", style="dim"))
        else:
            self.console.print(Text(f"answered by: {self.last.answered_by}", style="dim"))

    def sources(self, arg: str) -> None:
        if self.last is None or not self.last.citations:
            self.console.print("no citations yet")
            return
        if not arg.strip().isdigit() or not 1 <= int(arg) <= len(self.last.citations):
            self.console.print(Text(f"usage: /sources N, N from 1 to {len(self.last.citations)}",
                                    style="yellow"))  # fmt: skip
            return
        c = self.last.citations[int(arg) - 1]
        lines = self.pipeline.store.documents[c.file].lines
        self.console.print(Text(c.file, style="cyan"))
        for n in range(max(1, c.start_line - 2), min(len(lines), c.end_line + 2) + 1):
            cited = c.start_line <= n <= c.end_line
            row = Text(f"{n:>5} {'▶' if cited else ' '} ", style="cyan" if cited else "dim")
            row.append(lines[n - 1], style="bold" if cited else "dim")
            self.console.print(row)


def run(pipeline: Pipeline, json_out: bool, no_color: bool) -> None:
    """Interactive on a terminal; one question per line otherwise."""
    interactive = sys.stdin.isatty() and sys.stdout.isatty() and not json_out
    # with --json, stdout carries only answer objects; command output goes to stderr
    console = Console(no_color=no_color or not interactive, highlight=False,
                      soft_wrap=not interactive, stderr=json_out)  # fmt: skip
    chat = Chat(pipeline, console, json_out, live=interactive)
    if interactive:
        # a shell without job control starts background commands with SIGINT ignored, and
        # Python keeps an ignored signal ignored: Ctrl-C on this terminal must still stop an answer
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if not interactive:
        for line in sys.stdin:
            if not chat.handle(line):
                break
            if not json_out and line.strip() and not line.startswith("/"):
                print(flush=True)
        return
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory

    session = PromptSession(history=FileHistory(str(history_path())))
    console.print(Text("qa chat · /help for commands · Ctrl-D to leave", style="dim"))
    while True:
        try:
            line = session.prompt("qa> ")
        except KeyboardInterrupt:
            if session.default_buffer.text.strip():
                continue  # Ctrl-C on a half-typed line clears it
            break
        except EOFError:
            break
        if not chat.handle(line):
            break
