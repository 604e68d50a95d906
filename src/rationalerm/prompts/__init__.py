"""Prompt templates, shipped as package text files and loaded by name.

A template's ``version`` is its name plus a short hash of its text, so an output records exactly which wording
produced it: editing a template without renaming it still changes the recorded version.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from .render import (
    RenderedPrompt,
    render_item_list,
    render_metajudge,
    sanitize_item,
)

METAJUDGE_PROMPT = "metajudge_v1"


@dataclass(frozen=True, slots=True)
class Prompt:
    """A loaded template: ``name`` (the file stem), its ``text`` and a ``version`` that changes with the text."""

    name: str
    text: str

    @property
    def version(self) -> str:
        return f"{self.name}@{self.sha256[:12]}"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@cache
def load_prompt(name: str) -> Prompt:
    """The template ``<name>.txt`` from this package. Raises ``KeyError`` naming the known templates if absent."""
    folder = resources.files(__name__)
    resource = folder.joinpath(f"{name}.txt")
    if not resource.is_file():
        known = sorted(p.name[: -len(".txt")] for p in folder.iterdir() if p.name.endswith(".txt"))
        raise KeyError(f"no prompt template {name!r}; known: {', '.join(known)}")
    return Prompt(name=name, text=resource.read_text(encoding="utf-8"))


def available_prompts() -> list[str]:
    """Names of the templates shipped with the package."""
    folder = resources.files(__name__)
    return sorted(p.name[: -len(".txt")] for p in folder.iterdir() if p.name.endswith(".txt"))


__all__ = [
    "METAJUDGE_PROMPT",
    "Prompt",
    "RenderedPrompt",
    "available_prompts",
    "load_prompt",
    "render_item_list",
    "render_metajudge",
    "sanitize_item",
]
