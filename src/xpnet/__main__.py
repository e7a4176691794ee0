"""The ``xpnet`` command (also ``python -m xpnet``).

``xpnet demo`` trains XOR and a digits classifier on the best device it finds;
``xpnet train --dataset ...`` trains an MLP of your choosing. Each subcommand
is a module of :mod:`xpnet.cli` named in ``COMMANDS`` (see there).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

import xpnet

# One line per subcommand: xpnet/cli/<name>.py defines register(subparsers) and run(args).
COMMANDS = (
    "demo",
    "train",
    "bench",
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xpnet", description="xpnet: backpropagation written once against the Python Array API.")
    parser.add_argument("--version", action="version", version=f"xpnet {xpnet.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"xpnet.cli.{name}").register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
