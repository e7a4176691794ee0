"""A griffe extension: xpnet's docstrings are reStructuredText-flavoured prose; render them as Markdown.

* ``:class:`X``` / ``:func:`X``` / ``:mod:`X``` / ``:meth:`X``` / ``:attr:`X``` become ```X```;
* a paragraph ending in ``::`` ends in ``:`` (its indented block is already a Markdown code block);
* runs of ``>>>`` / ``...`` lines become fenced ``pycon`` blocks (Markdown would read ``>`` as a quote);
* ``:math:`x``` and ``.. math::`` blocks become ``\\(x\\)`` and ``$$ ... $$`` (MathJax renders them).

Loaded by mkdocstrings (``extensions:`` in mkdocs.yml); the source is not changed.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|func|mod|meth|attr|data|obj|exc):`~?([^`]+)`")
_MATH_ROLE = re.compile(r":math:`([^`]+)`")


def markdown_of(text: str) -> str:
    """The Markdown rendering of one docstring written in xpnet's reST-flavoured prose."""
    text = _math_blocks(_MATH_ROLE.sub(lambda m: "\\(" + m.group(1) + "\\)", _ROLE.sub(r"`\1`", text)))
    out: list[str] = []
    in_fence = False
    in_prompt = False
    in_section = False
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("```"):
            in_fence = not in_fence
        continued = in_prompt and stripped.startswith("...")
        is_prompt = not in_fence and (stripped.startswith(">>>") or continued)
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
        if stripped and line == stripped:  # a line at the margin opens or closes a Google section
            in_section = _SECTION.match(line) is not None
        if not in_fence and not is_prompt and line.endswith("::") and not line.strip() == "::":
            line = line[:-1]
        if not in_fence and not is_prompt and (len(line) - len(stripped) < 4 or in_section):
            line = _code_shapes(line)
        out.append(line)
    if in_prompt:
        out.append(f"{indent}```")
    return "\n".join(out)


_SECTION = re.compile(r"^(Args|Arguments|Parameters|Raises|Returns|Yields|Shape|Attributes):\s*$")
_INLINE_CODE = re.compile(r"(`+).+?\1")
_STAR_SHAPE = re.compile(r"\((?:\*[^()`]*|[^()`]*,\s*\*[^()`]*)\)")


def _code_shapes(line: str) -> str:
    """Shapes with a ``*`` (``(*, in_features)``) as inline code, or Markdown reads emphasis."""
    if "*" not in line:
        return line
    parts, last = [], 0
    for code in _INLINE_CODE.finditer(line):
        parts.append(_STAR_SHAPE.sub(lambda m: f"``{m.group(0)}``", line[last:code.start()]))
        parts.append(code.group(0))
        last = code.end()
    parts.append(_STAR_SHAPE.sub(lambda m: f"``{m.group(0)}``", line[last:]))
    return "".join(parts)


def _inside(line: str, indent: int) -> bool:
    """Whether ``line`` belongs to a directive indented ``indent``: blank or indented further."""
    return not line.strip() or len(line) - len(line.lstrip()) > indent


def _math_blocks(text: str) -> str:
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip() == ".. math::":
            indent = line[: len(line) - len(line.lstrip())]
            body: list[str] = []
            i += 1
            while i < len(lines) and _inside(lines[i], len(indent)):
                body.append(lines[i].strip())
                i += 1
            while body and not body[-1]:
                body.pop()
            formula = "\n".join(b for b in body if b)
            if "&" in formula or "\\\\" in formula:
                formula = "\\begin{aligned}\n" + formula + "\n\\end{aligned}"
            out += [f"{indent}$$", *(f"{indent}{f}" for f in formula.splitlines()), f"{indent}$$", ""]
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


class RstToMarkdown(griffe.Extension):
    """Rewrite each docstring once, as griffe loads it."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = markdown_of(obj.docstring.value)
        if isinstance(obj, griffe.Function):
            for parameter in obj.parameters:
                _builtin_names(parameter.annotation)
            _builtin_names(obj.returns)
        elif isinstance(obj, griffe.Attribute):
            _builtin_names(obj.annotation)


# xpnet exports torch's dtype spellings ``xn.int``, ``xn.float``, ``xn.bool`` (int32, float32,
# bool_). griffe resolves a name through the enclosing packages too, so an annotation ``int``
# in ``xpnet.nn.embedding`` would render as ``int32``: pin those names to the builtins.
_BUILTINS = {"int", "float", "bool", "complex", "str", "bytes", "list", "tuple", "dict", "set", "type"}


def _builtin_names(annotation: Any) -> None:
    if not isinstance(annotation, griffe.Expr):
        return
    names = [annotation] if isinstance(annotation, griffe.ExprName) else annotation.iterate(flat=True)
    for part in names:
        if (isinstance(part, griffe.ExprName) and part.name in _BUILTINS
                and not isinstance(part.parent, griffe.ExprName)):
            part.parent = None
