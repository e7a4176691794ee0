"""``xpnet bench``: the same command as ``python -m xpnet.bench`` (see :mod:`xpnet.bench`).

Every argument is checked before the benchmark runs (exit 2, one line): ``--json`` and
``--plot`` must be writable, and sizes stay within bounds that fit a machine.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from . import UsageError, writable_file

MAX_BATCH = 65536  # the wide model at this batch already holds 1 GiB per activation
MAX_THREADS = os.cpu_count() or 1  # more threads than cores measures contention, and can crash the BLAS
MAX_WINDOWS = 1000
MAX_SECONDS = 3600.0


def register(subparsers: Any) -> None:
    from xpnet.bench.__main__ import DESCRIPTION, add_arguments

    parser = subparsers.add_parser(
        "bench", help="time xpnet against PyTorch eager on each device (steps/s, GFLOP/s, ratios)",
        description=DESCRIPTION)
    add_arguments(parser)
    parser.set_defaults(run=run)


def check(args: argparse.Namespace) -> None:
    """Refuse, before any measurement, what would fail after it: UsageError saying what to change."""
    for option, path in (("--json", args.json), ("--plot", args.plot)):
        if path is not None:
            writable_file(path, option)
    bounds = (("--batches", max(args.batches or (1,)), MAX_BATCH),
              ("--threads", args.threads or 1, MAX_THREADS),
              ("--windows", args.windows or 1, MAX_WINDOWS),
              ("--seconds", args.seconds or 1.0, MAX_SECONDS))
    for option, value, bound in bounds:
        if value > bound:
            raise UsageError(f"{option}: {value:,} is more than this command takes: give at most "
                             f"{bound:,}" + (" (this machine's cores)" if option == "--threads" else ""))


def run(args: argparse.Namespace, prog: str = "xpnet bench") -> int:
    """``xpnet bench`` (and ``python -m xpnet.bench``): 0 done, 1 a device failed, 2 a bad argument
    (checked first), 130 interrupted."""
    from xpnet.bench.__main__ import execute

    try:
        check(args)
    except UsageError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    return execute(args, prog=prog)
