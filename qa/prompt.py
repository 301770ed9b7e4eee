"""Prompt templates are files in prompts/, rendered with string.Template."""

from __future__ import annotations

import string
from pathlib import Path

from qa.errors import ModelUnavailableError

EXPECTED = {"system": set(), "reader": set(), "answer": {"passages", "question"}}


class Prompt:
    """A loaded template whose variables were checked at load time."""

    def __init__(self, name: str, text: str, variables: set[str]) -> None:
        template = string.Template(text)
        found = set(template.get_identifiers())
        if found != variables:
            raise ModelUnavailableError(
                f"prompt {name!r} has variables {sorted(found)}, expected {sorted(variables)}"
            )
        self.name, self.template = name, template

    def render(self, **values: str) -> str:
        """Fill in the variables."""
        return self.template.substitute(values).strip()


def load_prompts(folder: Path) -> dict[str, Prompt]:
    """Every prompt qa needs, checked."""
    prompts = {}
    for name, variables in EXPECTED.items():
        path = folder / f"{name}.txt"
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ModelUnavailableError(f"cannot read prompt {str(path)!r}: {exc}") from exc
        prompts[name] = Prompt(name, text, variables)
    return prompts
