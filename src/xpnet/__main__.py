"""The ``xpnet`` command (also ``python -m xpnet``).

``xpnet demo [--device cpu|cuda] [--epochs N]`` trains XOR and a two-spirals
classifier on the best device it finds and prints what they learned.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import xpnet


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xpnet", description="xpnet: backpropagation written once against the Python Array API.")
    parser.add_argument("--version", action="version", version=f"xpnet {xpnet.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo", help="train XOR and a two-spirals classifier, print what they learned",
        description="Train XOR (4 samples) and a two-spirals classifier (1000 points) on the best "
                    "device: cuda (CuPy) when a GPU is usable, else cpu (NumPy).")
    demo.add_argument("--device", default=None,
                      help="cpu (NumPy), cuda or cuda:N (CuPy); default: cuda if available, else cpu")
    demo.add_argument("--epochs", type=int, default=None, metavar="N",
                      help="epochs for each task (default: 1000)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.command == "demo":
        if args.epochs is not None and args.epochs < 1:
            parser.error(f"--epochs must be at least 1, got {args.epochs}")
        from .cli import demo

        try:
            demo.run(device=args.device, epochs=args.epochs)
        except (RuntimeError, ValueError) as exc:  # an unusable --device, said plainly
            print(f"xpnet demo: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
