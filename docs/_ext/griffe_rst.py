"""A griffe extension: xpnet's docstrings are reStructuredText-flavoured prose; render them as Markdown.

* ``:class:`X``` / ``:func:`X``` / ``:mod:`X``` / ``:meth:`X``` / ``:attr:`X``` become ```X```;
* a paragraph ending in ``::`` ends in ``:`` (its indented block is already a Markdown code block);
* runs of ``>>>`` / ``...`` lines become fenced ``pycon`` blocks (Markdown would read ``>`` as a quote).

Loaded by mkdocstrings (``extensions:`` in mkdocs.yml); the source is not changed.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|func|mod|meth|attr|data|obj|exc):`~?([^`]+)`")


def markdown_of(text: str) -> str:
    """The Markdown rendering of one docstring written in xpnet's reST-flavoured prose."""
    text = _ROLE.sub(r"`\1`", text)
    out: list[str] = []
    in_fence = False
    in_prompt = False
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("```"):
            in_fence = not in_fence
        is_prompt = not in_fence and (stripped.startswith(">>>") or (in_prompt and stripped.startswith("...")))
        if is_prompt and not in_prompt:
            indent = line[: len(line) - len(stripped)]
            if out and out[-1].strip():
                out.append("")
            out.append(f"{indent}```pycon")
        elif in_prompt and not is_prompt:
            out.append(f"{indent}```")
            if stripped:
                out.append("")
        in_prompt = is_prompt
        if not in_fence and not is_prompt and line.endswith("::") and not line.strip() == "::":
            line = line[:-1]
        out.append(line)
    if in_prompt:
        out.append(f"{indent}```")
    return "\n".join(out)


class RstToMarkdown(griffe.Extension):
    """Rewrite each docstring once, as griffe loads it."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = markdown_of(obj.docstring.value)
