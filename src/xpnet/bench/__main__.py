"""``python -m xpnet.bench`` / ``xpnet bench``: xpnet vs PyTorch eager, side by side, in one run.

    python -m xpnet.bench                       # everything, a couple of minutes
    python -m xpnet.bench --quick               # shorter windows, fewer sweep points
    python -m xpnet.bench --models mnist --devices cpu --json out.json --plot out.png

``xpnet bench`` is the same command (xpnet/cli/bench.py registers these options).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from ..cli import positive_float, positive_int
from . import models, report, runner

QUICK_BATCHES = (1, 16, 256, 1024)


def _csv(choices: Sequence[str]) -> Callable[[str], tuple[str, ...]]:
    def parse(text: str) -> tuple[str, ...]:
        values = tuple(v.strip() for v in text.split(",") if v.strip())
        bad = [v for v in values if v not in choices]
        if not values or bad:
            raise argparse.ArgumentTypeError(f"{text!r}: choose from {','.join(choices)}")
        return values

    return parse


def _batches(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: comma-separated positive ints, e.g. 1,16,256") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: batch sizes must be positive")
    return values


DESCRIPTION = (
    "Time xpnet's training step against PyTorch eager on each device, side by side in one run: steps/s, "
    "ratio, GFLOP/s, share of the float32 GEMM peak measured in the same run, per-op autograd overhead, "
    "and a batch-size sweep. Method: docs/benchmarks.md.")


def parser(prog: str = "python -m xpnet.bench") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=DESCRIPTION)
    add_arguments(p)
    return p


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The command's options (shared by ``python -m xpnet.bench`` and ``xpnet bench``)."""
    p.add_argument("--quick", action="store_true",
                   help="shorter measurements (0.3 s, 3 windows) and 4 sweep points: about a minute here")
    p.add_argument("--models", type=_csv(tuple(models.MODELS)), default=tuple(models.MODELS),
                   help="which MLPs to train: xor (2-8-1, batch 4), mnist (784-256-128-10, batch 128), "
                        "wide (1024-4096-4096-1024, batch 512); default: all")
    p.add_argument("--devices", type=_csv(models.DEVICES), default=None,
                   help="cpu (NumPy) and/or cuda (CuPy); torch runs on the same devices. "
                        "Default: cpu, and cuda when a GPU is usable")
    p.add_argument("--seconds", type=positive_float, default=None, metavar="S",
                   help="timed seconds per measurement and framework, split into the windows "
                        "(default 1.0; 0.3 with --quick)")
    p.add_argument("--windows", type=positive_int, default=None, metavar="N",
                   help="timed windows per measurement; the median is reported (default 5; 3 with --quick)")
    p.add_argument("--batches", type=_batches, default=None, metavar="B,B,...",
                   help=f"batch sizes of the sweep (default {','.join(map(str, models.SWEEP_BATCHES))})")
    p.add_argument("--threads", type=positive_int, default=None, metavar="N",
                   help="CPU threads for NumPy's BLAS and torch alike (default: what the BLAS uses, "
                        "given to torch too)")
    p.add_argument("--no-ops", action="store_true", help="skip the per-op autograd overhead")
    p.add_argument("--no-sweep", action="store_true", help="skip the batch-size sweep")
    p.add_argument("--json", metavar="PATH", help="write every measurement and the machine info as JSON")
    p.add_argument("--plot", metavar="PATH", help="PNG of throughput vs batch size (needs matplotlib)")
    p.add_argument("--smoke", action="store_true",
                   help="tiny sizes and windows, to check the command works (CI); numbers mean nothing")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def config_from(args: argparse.Namespace) -> runner.Config:
    """The run's Config from parsed options (``--quick`` / ``--smoke`` set the defaults)."""
    import xpnet as xn

    quick = args.quick or args.smoke
    devices = args.devices or (("cpu", "cuda") if xn.cuda_available() else ("cpu",))
    cfg = runner.Config(models=args.models, devices=devices, ops=not args.no_ops, sweep=not args.no_sweep,
                        threads=args.threads, smoke=args.smoke, progress=not args.no_progress)
    if quick:
        cfg.seconds, cfg.windows, cfg.batches, cfg.peak_repeats = 0.3, 3, QUICK_BATCHES, 3
    if args.smoke:
        cfg.seconds, cfg.warmup_s, cfg.peak_n = 0.02, 0.0, 256
        cfg.batches = models.SMOKE_SWEEP_BATCHES
    cfg.seconds = args.seconds if args.seconds is not None else cfg.seconds
    cfg.windows = args.windows if args.windows is not None else cfg.windows
    cfg.batches = args.batches or cfg.batches
    return cfg


def execute(args: argparse.Namespace, prog: str = "python -m xpnet.bench") -> int:
    """Run the benchmarks that parsed ``args`` ask for, print the report; returns the exit status."""
    cfg = config_from(args)
    try:
        result = runner.run(cfg)
    except RuntimeError as exc:  # a device that is not there, said plainly
        print(f"{prog}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    print(report.format_report(result))
    if args.json:
        print(f"JSON written to {report.write_json(args.json, result)}")
    if args.plot:
        print(report.plot(args.plot, result))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m xpnet.bench [options]``; returns the exit status (arguments checked first)."""
    from ..cli.bench import run

    return run(parser().parse_args(argv), prog="python -m xpnet.bench")


if __name__ == "__main__":
    sys.exit(main())
