"""Every ```python block in README.md and docs/**/*.md runs here, so no example rots.

One test per block, named ``page:line``. The blocks of one page run in order in one shared
namespace (a later block uses what an earlier one defined), in a temporary working directory
(an example may write files), after ``xn.manual_seed(0)``. Running one block alone (``-k``)
first runs the page's earlier blocks.

Marking a block, in the Markdown just above its fence (the marker does not show on the site):

* ``<!-- requires: cuda -->`` (comma-separated: ``cuda``, ``torch``, ``torch-cuda``, ``mpi``,
  ``graphviz``, ``matplotlib``, ``sklearn``): skipped, with the reason in pytest's summary,
  where that is missing. A first line ``# requires: cuda`` in the block does the same.
* ``<!-- invisible-code-block: python`` ... ``-->`` (as Sybil spells it): code that runs before
  the next block but is not shown, for the setup a fragment needs (the ``x``, ``y`` it trains on).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import xpnet as xn

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").rglob("*.md") if "_ext" not in p.parts)]

FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[\w+-]*)[^\n]*\n(?P<code>.*?)^(?P=indent)```[ \t]*$",
                   re.M | re.S)
REQUIRES = re.compile(r"<!--\s*requires:\s*([\w, -]+?)\s*-->\s*$")
REQUIRES_LINE = re.compile(r"^#\s*requires:\s*([\w, -]+?)\s*$")
INVISIBLE = re.compile(r"<!--\s*invisible-code-block:\s*python\s*\n(?P<code>.*?)-->", re.S)


def _mpi() -> bool:
    size = os.environ.get("OMPI_COMM_WORLD_SIZE") or os.environ.get("PMI_SIZE") or "1"
    return importlib.util.find_spec("mpi4py") is not None and int(size) > 1


def _torch_cuda() -> bool:
    if importlib.util.find_spec("torch") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


CHECKS: dict[str, tuple[Callable[[], bool], str]] = {
    "cuda": (xn.cuda_available, "needs CuPy and a CUDA GPU (xn.cuda_available() is False)"),
    "torch": (lambda: importlib.util.find_spec("torch") is not None, "needs torch"),
    "torch-cuda": (_torch_cuda, "needs a CUDA build of torch and a GPU"),
    "mpi": (_mpi, "needs MPI: run under mpiexec -n 2 with mpi4py installed"),
    "graphviz": (lambda: shutil.which("dot") is not None, "needs Graphviz's `dot` program"),
    "matplotlib": (lambda: importlib.util.find_spec("matplotlib") is not None, "needs matplotlib"),
    "sklearn": (lambda: importlib.util.find_spec("sklearn") is not None, "needs scikit-learn"),
    "jax": (lambda: importlib.util.find_spec("jax") is not None, "needs jax"),
    "dask": (lambda: importlib.util.find_spec("dask") is not None, "needs dask"),
}


@dataclass
class Block:
    """One runnable block: where it is, its code, what it needs."""

    page: str
    line: int  # 1-based line of the first line of code in the page
    code: str
    requires: tuple[str, ...] = ()
    hidden: bool = False

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}" + ("-hidden" if self.hidden else "")

    def missing(self) -> list[str]:
        return [CHECKS[need][1] for need in self.requires if not CHECKS[need][0]()]


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def blocks_of(path: Path, root: Path = ROOT) -> list[Block]:
    """The page's python blocks and invisible setup blocks, in page order."""
    text = path.read_text(encoding="utf-8")
    page = path.relative_to(root).as_posix()
    found: list[tuple[int, Block]] = []
    for m in INVISIBLE.finditer(text):
        found.append((m.start(), Block(page, _line_of(text, m.start("code")), m.group("code"), hidden=True)))
    for m in FENCE.finditer(text):
        if m.group("lang") != "python":
            continue
        before = text[: m.start()].rstrip().splitlines()
        needs: list[str] = []
        if before and (marker := REQUIRES.search(before[-1])):
            needs += marker.group(1).split(",")
        indent = m.group("indent")
        code = "".join(line[len(indent):] if line.startswith(indent) else line
                       for line in m.group("code").splitlines(keepends=True))
        first = code.splitlines()[0] if code.strip() else ""
        if marker := REQUIRES_LINE.match(first):
            needs += marker.group(1).split(",")
        block = Block(page, _line_of(text, m.start("code")), code, tuple(n.strip() for n in needs))
        found.append((m.start(), block))
    return [block for _, block in sorted(found, key=lambda pair: pair[0])]


BLOCKS = [block for path in PAGES for block in blocks_of(path)]


@dataclass
class PageRun:
    """The shared state of one page's blocks: namespace, working directory, what has run."""

    namespace: dict[str, Any]
    workdir: Path
    done: set[int] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)


_runs: dict[str, PageRun] = {}


def _execute(block: Block, run: PageRun, monkeypatch: pytest.MonkeyPatch) -> None:
    # Pad with newlines so a traceback's line numbers are the Markdown page's.
    source = "\n" * (block.line - 1) + block.code
    monkeypatch.chdir(run.workdir)
    try:
        exec(compile(source, str(ROOT / block.page), "exec"), run.namespace)
    except BaseException:
        run.failed.add(block.id)
        raise


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_doc_example_runs(block: Block, tmp_path_factory: pytest.TempPathFactory,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    missing = block.missing()
    if missing:
        pytest.skip(f"{block.id}: " + "; ".join(missing))
    run = _runs.get(block.page)
    if run is None:
        xn.manual_seed(0)
        workdir = tmp_path_factory.mktemp(re.sub(r"\W", "_", block.page))
        run = _runs[block.page] = PageRun({"__name__": "__doc_example__"}, workdir)
    if run.failed:
        pytest.fail(f"{block.id} not run: an earlier block of its page failed ({sorted(run.failed)})")
    page_blocks = [b for b in BLOCKS if b.page == block.page]
    for index, earlier in enumerate(page_blocks):
        if earlier is block:
            break
        if index not in run.done and not earlier.missing():
            _execute(earlier, run, monkeypatch)
            run.done.add(index)
    _execute(block, run, monkeypatch)
    run.done.add(page_blocks.index(block))


def test_every_page_is_collected_and_markers_are_known() -> None:
    pages = {b.page for b in BLOCKS}
    assert {"README.md", "docs/tutorial.md", "docs/training.md", "docs/getting-started.md"} <= pages, pages
    unknown = {(b.id, need) for b in BLOCKS for need in b.requires if need not in CHECKS}
    assert not unknown, f"unknown requires: markers {unknown}; known: {sorted(CHECKS)}"


def test_collector_reads_markers_fences_and_hidden_blocks(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "text\n\n<!-- invisible-code-block: python\nx = 1\n-->\n\n"
        "```python\ny = x + 1\n```\n\n<!-- requires: cuda, mpi -->\n```python\nz = 2\n```\n\n"
        "```bash\nls\n```\n\n- item\n\n  ```python\n  # requires: torch\n  w = 3\n  ```\n",
        encoding="utf-8")
    blocks = blocks_of(page, root=tmp_path)
    assert [(b.line, b.code, b.requires, b.hidden) for b in blocks] == [
        (4, "x = 1\n", (), True),
        (8, "y = x + 1\n", (), False),
        (13, "z = 2\n", ("cuda", "mpi"), False),
        (23, "# requires: torch\nw = 3\n", ("torch",), False),
    ]
