"""``xpnet bench``: the same command as ``python -m xpnet.bench`` (see :mod:`xpnet.bench`)."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    from xpnet.bench.__main__ import DESCRIPTION, add_arguments

    parser = subparsers.add_parser(
        "bench", help="time xpnet against PyTorch eager on each device (steps/s, GFLOP/s, ratios)",
        description=DESCRIPTION)
    add_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from xpnet.bench.__main__ import execute

    return execute(args, prog="xpnet bench")
