"""mkdocs hook: the API reference pages write themselves from the package.

A reference page holds a marker line ``<!-- api: xpnet.nn -->``. At build time this hook imports
the module, reads its public names (``__all__``; without one, the functions and classes it
defines whose names do not start with ``_``), groups them by the file that defines them (titles
below; a new file makes a new group by itself) and writes one mkdocstrings ``::: name``
directive per name. So a name added to ``__all__`` appears in the reference with no page edit.

* A name documented on another reference page (``xn.relu`` is ``xpnet.functional.relu``) is
  listed as a link to it, not rendered twice. Its home is the page of the longest marker module
  that prefixes the module defining it.
* A public submodule with its own page is a link; one without is rendered inline as a section.
* A public name without a docstring is a warning, so ``mkdocs build --strict`` fails on it.
* ``OPTIONAL`` modules (not yet in every branch) render a note instead of failing the build.
* ``<!-- api-index -->`` becomes "All of xpnet": every public name of every page, linked.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import logging
import posixpath
import re
import types
from typing import Any

log = logging.getLogger("mkdocs.hooks.xpnet_api")

MARKER = re.compile(r"^<!-- api: ([\w.]+) -->$", re.M)
INDEX = "<!-- api-index -->"
OPTIONAL = {"xpnet.distributed"}

# Group titles by defining module, in the order the groups appear on a page.
TITLES = {
    "xpnet.tensor": "The Tensor",
    "xpnet.creation": "Creating tensors and random numbers",
    "xpnet._dtypes": "Dtypes",
    "xpnet.autograd": "Gradient mode and the backward sweep",
    "xpnet._backend": "Devices",
    "xpnet.checkpoint": "Checkpoints",
    "xpnet.checkpoint.files": "Checkpoints",
    "xpnet.checkpoint.archive": "Checkpoints",
    "xpnet.nn.module": "Module",
    "xpnet.nn.parameter": "Parameters",
    "xpnet.nn.containers": "Containers",
    "xpnet.nn.hooks": "Hooks",
    "xpnet.nn.linear": "Linear layers",
    "xpnet.nn.ensemble_linear": "Linear layers",
    "xpnet.nn.ensemble": "Ensembles",
    "xpnet.nn.activation": "Activations",
    "xpnet.nn.activation_extra": "Activations",
    "xpnet.nn.normalization": "Normalization",
    "xpnet.nn.dropout": "Dropout",
    "xpnet.nn.embedding": "Embedding",
    "xpnet.nn.flatten": "Shape",
    "xpnet.nn.loss": "Losses",
    "xpnet.nn.loss_extra": "Losses",
    "xpnet.functional.arithmetic": "Arithmetic",
    "xpnet.functional.linalg": "Linear algebra",
    "xpnet.functional.fused": "Linear algebra",
    "xpnet.functional.ensemble": "Linear algebra",
    "xpnet.functional.reduction": "Reductions",
    "xpnet.functional.shape": "Shape and indexing",
    "xpnet.functional.activation": "Activations",
    "xpnet.functional.activation_smooth": "Activations",
    "xpnet.functional.normalization": "Normalization",
    "xpnet.functional.dropout": "Dropout",
    "xpnet.functional.embedding": "Embedding",
    "xpnet.functional.loss": "Losses",
    "xpnet.functional.loss_extra": "Losses",
    "xpnet.optim.optimizer": "The Optimizer base class",
    "xpnet.optim": "Optimizers",
    "xpnet.optim.lr_scheduler": "Schedulers",
    "xpnet.utils.data.dataloader": "DataLoader",
    "xpnet.utils.data.dataset": "Datasets",
    "xpnet.utils.data.sampler": "Samplers",
    "xpnet.utils.data.collate": "Collating samples into batches",
    "xpnet.train.loop": "The loop",
    "xpnet.train.history": "History",
    "xpnet.train.callbacks": "Callbacks",
    "xpnet.train.nonfinite": "Callbacks",
    "xpnet.train.metrics": "Metrics",
    "xpnet.data.datasets": "Data sets",
    "xpnet.data.loader": "Loading batches",
    "xpnet.viz.graph": "The computation graph",
    "xpnet.viz.plot": "Training curves",
    "xpnet.cuda": "CuPy kernels",
    "xpnet.bench": "Benchmarks",
}
CONSTANTS = "Constants"


def public_names(module: types.ModuleType) -> list[str]:
    """``__all__``, or the functions and classes the module defines whose names are public."""
    names = getattr(module, "__all__", None)
    if names is not None:
        return list(names)
    return [name for name, obj in vars(module).items()
            if not name.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj))
            and obj.__module__ == module.__name__]


def _title(defining: str | None) -> str:
    if defining is None:
        return CONSTANTS
    if defining in TITLES:
        return TITLES[defining]
    for prefix in sorted(TITLES, key=len, reverse=True):
        if defining.startswith(prefix + "."):
            return TITLES[prefix]
    doc = inspect.getdoc(importlib.import_module(defining)) or ""
    first = re.split(r"(?<=[a-z])[.:]\s", doc.splitlines()[0].replace("`", ""))[0].rstrip(".") if doc else ""
    return first if 0 < len(first) <= 40 else defining.rsplit(".", 1)[-1].strip("_").capitalize()


def defining_module(obj: Any) -> str | None:
    """The module that defines a function or class; for data, the module of its (xpnet) type."""
    if inspect.isclass(obj) or inspect.isroutine(obj):
        return getattr(obj, "__module__", None)
    kind = type(obj).__module__
    return kind if kind.startswith("xpnet.") else None


def identifier(mod_name: str, public: str, obj: Any) -> str:
    """``mod.public``, unless a submodule has that name (``xpnet.tensor``), or the module reaches
    the name only through its ``__getattr__`` (``xpnet.autograd.Function``, which griffe cannot
    see): then the defining path."""
    module = importlib.import_module(mod_name)
    if isinstance(obj, types.ModuleType):
        return f"{mod_name}.{public}"
    if public not in vars(module):
        return f"{obj.__module__}.{obj.__qualname__}"
    if not hasattr(module, "__path__") or importlib.util.find_spec(f"{mod_name}.{public}") is None:
        return f"{mod_name}.{public}"
    return f"{obj.__module__}.{obj.__qualname__}"


class Reference:
    """Every marker on every page: which module renders where, and each object's home page."""

    def __init__(self, pages: dict[str, list[str]]) -> None:
        self.module_page = {mod: page for page, mods in pages.items() for mod in mods}
        self.home: dict[int, tuple[str, str]] = {}   # id(object) -> (page, identifier)
        self.missing_docs: set[str] = set()
        by_length = sorted(self.module_page, key=len, reverse=True)
        for mod_name in by_length:
            module = _import(mod_name)
            if module is None:
                continue
            for name in public_names(module):
                obj = getattr(module, name)
                if isinstance(obj, types.ModuleType) or not (inspect.isclass(obj) or callable(obj)):
                    continue
                defining = getattr(obj, "__module__", "") or ""
                home = next((m for m in by_length if defining == m or defining.startswith(m + ".")), None)
                if home == mod_name or (home is None and id(obj) not in self.home):
                    home_page = self.module_page[mod_name]
                    self.home.setdefault(id(obj), (home_page, identifier(mod_name, name, obj)))

    def index(self, page: str) -> str:
        """One line per reference page: its module, then each public name linked to its entry."""
        rows = []
        for mod_name, target in self.module_page.items():
            module = _import(mod_name)
            link = _rel(page, target)
            if module is None:
                rows.append(f"| [`{mod_name}`]({link}) | not in this build |")
                continue
            names = []
            for public in sorted(public_names(module), key=str.lower):
                obj = getattr(module, public)
                if isinstance(obj, types.ModuleType):
                    sub = self.module_page.get(obj.__name__)
                    names.append(f"[`{public}`]({_rel(page, sub)})" if sub else f"`{public}`")
                    continue
                home = self.home.get(id(obj))
                anchor = home if home is not None else (target, identifier(mod_name, public, obj))
                names.append(f"[`{public}`]({_rel(page, anchor[0])}#{anchor[1]})")
            rows.append(f"| [`{mod_name}`]({link}) | {', '.join(names)} |")
        return "| module | public names |\n|---|---|\n" + "\n".join(rows) + "\n"

    def render(self, mod_name: str, page: str) -> str:
        module = _import(mod_name)
        if module is None:
            return (f'!!! note "`{mod_name}` is not in this build"\n\n'
                    f"    Its reference appears here once the module is part of the package.\n")
        return self._module(module, page, level=2)

    def _module(self, module: types.ModuleType, page: str, level: int) -> str:
        name = module.__name__
        self._check_doc(name, module)
        parts = [f"::: {name}\n    options:\n      members: false\n      show_root_heading: false\n"
                 f"      show_root_toc_entry: false\n"]
        groups: dict[str, list[str]] = {}
        elsewhere: list[tuple[str, str, str]] = []
        inline: list[types.ModuleType] = []
        for public in public_names(module):
            obj = getattr(module, public)
            if isinstance(obj, types.ModuleType):
                target = self.module_page.get(obj.__name__)
                if target is not None and target != page:
                    elsewhere.append((f"{name}.{public}", obj.__name__, _rel(page, target)))
                elif target is None:
                    inline.append(obj)
                continue
            self._check_doc(f"{name}.{public}", obj)
            home = self.home.get(id(obj))
            if home is not None and home[0] != page:
                elsewhere.append((f"{name}.{public}", home[1], f"{_rel(page, home[0])}#{home[1]}"))
                continue
            groups.setdefault(_title(defining_module(obj)), []).append(identifier(name, public, obj))
        order = list(dict.fromkeys(TITLES.values()))
        hashes = "#" * level
        for title in sorted(groups, key=lambda t: (order.index(t) if t in order else len(order), t)):
            parts.append(f"{hashes} {title}\n")
            for ident in sorted(groups[title], key=lambda i: i.rsplit(".", 1)[-1].lower()):
                parts.append(f"::: {ident}\n    options:\n      heading_level: {level + 1}\n")
        for sub in inline:
            parts.append(f"{hashes} `{sub.__name__}`\n")
            parts.append(self._module(sub, page, level + 1))
        if elsewhere:
            parts.append(f"{hashes} Documented on another page\n")
            parts.append("| name | reference |\n|---|---|\n" + "".join(
                f"| `{label}` | [`{text}`]({link}) |\n" for label, text, link in elsewhere))
        return "\n".join(parts)

    def _check_doc(self, label: str, obj: Any) -> None:
        own = obj.__doc__ if isinstance(obj, (types.ModuleType, type)) or inspect.isroutine(obj) else "data"
        if not (own or "").strip() and label not in self.missing_docs:
            self.missing_docs.add(label)
            log.warning("public name %s has no docstring (add one: arguments, shapes, what raises)", label)


def _import(mod_name: str) -> types.ModuleType | None:
    try:
        return importlib.import_module(mod_name)
    except ModuleNotFoundError as exc:
        if mod_name in OPTIONAL and exc.name is not None and mod_name.startswith(exc.name):
            log.info("%s is not importable: its reference page shows a note", mod_name)
            return None
        raise


def _rel(page: str, target: str) -> str:
    return posixpath.relpath(target, posixpath.dirname(page) or ".")


_reference: Reference | None = None


def on_files(files: Any, config: Any) -> Any:
    global _reference
    pages: dict[str, list[str]] = {}
    for file in files.documentation_pages():
        text = file.content_string
        found = MARKER.findall(text)
        if found:
            pages[file.src_uri] = found
    _reference = Reference(pages)
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    assert _reference is not None
    if INDEX in markdown:
        markdown = markdown.replace(INDEX, _reference.index(page.file.src_uri))
    return MARKER.sub(lambda m: _reference.render(m.group(1), page.file.src_uri), markdown)
