"""Chat prompts for the judge-side runs (``generate``, ``decompose``, ``golden``, ``metarm``, ``bench``).

* :func:`render_messages` fills a template and splits it into chat messages at its ``@@system`` / ``@@user`` lines
  (``{{name}}`` placeholders are filled in one pass, so inserted text is never itself read as a placeholder);
* :func:`sanitize_block` makes inserted multi-line text inert: a response that contains the prompts' own delimiters
  or a result tag cannot end a section early or forge an answer;
* :func:`format_transcript` and :func:`split_dialogue` lay a conversation out as the templates expect.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from . import Prompt
from .render import fill_template

Message = dict[str, str]

_SECTION_RE = re.compile(r"^@@(system|user)[ \t]*$", re.MULTILINE)


def render_messages(prompt: Prompt, values: Mapping[str, str]) -> list[Message]:
    """Fill ``prompt`` and split it into chat messages at its ``@@system`` / ``@@user`` lines (a template without
    them is one user message). An unknown placeholder is a KeyError naming the template: a silent blank in a
    prompt would change every answer without a trace."""

    text = fill_template(prompt.text, values, prompt.name)
    marks = list(_SECTION_RE.finditer(text))
    if not marks:
        return [{"role": "user", "content": text.strip()}]
    messages: list[Message] = []
    for index, mark in enumerate(marks):
        end = marks[index + 1].start() if index + 1 < len(marks) else len(text)
        content = text[mark.end() : end].strip("\n")
        if content.strip():
            messages.append({"role": mark.group(1), "content": content})
    return messages


# Tags and delimiters the judge-side prompts use, plus the answer formats their parsers read.
_STRUCTURE_TAG_RE = re.compile(
    r"<\s*(/?)\s*(conversation|response_[ab12]|annotator_rationales|golden_judge|genrm_output|golden_key_points|"
    r"genrm_analysis|final_verdict|think|thinking|RESULT[\s_]*START|RESULT[\s_]*END)\s*>",
    re.IGNORECASE,
)
_DELIMITER_RE = re.compile(
    r"\[\[\s*((?:end of )?(?:user prompt|answer [ab]|dialogue[^\]]*|turn \d+[^\]]*))\s*\]\]", re.I
)


def sanitize_block(text: object) -> str:
    """Multi-line material made inert: the prompts' own tags (``</response_a>``, ``<golden_judge>``, result tags,
    ``<think>``) become ``‹tag›`` and their ``[[...]]`` delimiters become ``[ ... ]``, so a response cannot close its
    section early or plant an answer. Everything else, line breaks included, is kept as written."""
    value = text if isinstance(text, str) else ("" if text is None else str(text))
    value = _STRUCTURE_TAG_RE.sub(lambda m: f"‹{m.group(1)}{m.group(2)}›", value)
    return _DELIMITER_RE.sub(lambda m: f"[ {m.group(1)} ]", value)


def message_text(message: Mapping[str, Any]) -> str:
    """A message's text; multimodal content lists keep their text parts."""
    content = message.get("content")
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, Mapping))
    return "" if content is None else str(content)


def _speaker(message: Mapping[str, Any]) -> str:
    role = str(message.get("role") or "user").lower()
    return {"assistant": "Assistant", "system": "System", "user": "User"}.get(role, role.capitalize())


def format_transcript(messages: Sequence[Mapping[str, Any]]) -> str:
    """Every turn as ``[User]`` / ``[Assistant]`` followed by its sanitized text."""
    return "\n\n".join(f"[{_speaker(m)}]\n{sanitize_block(message_text(m))}" for m in messages)


def split_dialogue(messages: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    """(the earlier turns framed as a dialogue block, or "" for a single turn; the last user message), for the
    R-Align style prompts, which show the final prompt apart from the dialogue that led to it."""
    last_user = max((i for i, m in enumerate(messages) if str(m.get("role", "user")) == "user"), default=-1)
    if last_user < 0:
        return "", sanitize_block(message_text(messages[-1])) if messages else ""
    earlier = messages[:last_user]
    prompt = sanitize_block(message_text(messages[last_user]))
    if not earlier:
        return "", prompt
    return f"[[Dialogue so far]]\n{format_transcript(earlier)}\n[[End of dialogue so far]]\n\n", prompt


__all__ = [
    "Message",
    "format_transcript",
    "message_text",
    "render_messages",
    "sanitize_block",
    "split_dialogue",
]
