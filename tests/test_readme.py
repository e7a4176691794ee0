"""README.md's promises: the Quick start commands, CI running the same test command, the example."""

from __future__ import annotations

import re
from pathlib import Path

import xpnet as xn

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"README.md has no '## {title}' section"
    return match.group(1)


def _fenced_blocks(text: str, lang: str = r"\w*") -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", text, re.M | re.S)


def quick_start_commands() -> list[str]:
    blocks = _fenced_blocks(_section("Quick start"))
    assert len(blocks) == 1, "Quick start holds exactly one fenced block"
    commands = [line for line in blocks[0].splitlines() if line.strip()]
    assert len(commands) == 2, f"Quick start holds exactly two commands, got {commands}"
    return commands


def test_quick_start_installs_then_runs():
    run_demo, run_tests = quick_start_commands()
    assert 'pip install -e ".[demo]"' in run_demo and run_demo.endswith("xpnet demo")
    assert 'pip install -e ".[test]"' in run_tests and "torch==2.13.0" in run_tests
    assert run_tests.endswith("python -m pytest")


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in ci
    test_command = quick_start_commands()[1]
    assert test_command in ci.splitlines()[ci.splitlines().index("status=0") + 1]


def test_readme_example_learns_xor(capsys):
    example = _fenced_blocks(README, "python")[0]
    xn.manual_seed(0)
    exec(compile(example, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    values = [abs(float(v)) for v in re.findall(r"-?\d+\.\d*", printed)]
    assert [round(v) for v in values] == [0, 1, 1, 0], printed


def test_readme_training_example_learns_and_saves(capsys, tmp_path, monkeypatch):
    (example,) = _fenced_blocks(_section("Training in a few lines"), "python")
    monkeypatch.chdir(tmp_path)  # it writes best.npz
    xn.manual_seed(0)
    exec(compile(example, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert float(printed.split("accuracy ")[1].rstrip("%\n")) > 90.0, printed
    assert (tmp_path / "best.npz").exists()


def test_readme_links_exist():
    for link in re.findall(r"\]\(((?:docs|examples)/[^)]*)\)", README):
        assert (ROOT / link).exists(), link
