"""One run of the bench command: plan the measurements, time them, gather the result dict.

The result (also the JSON file) holds: ``machine``, ``settings``, ``gemm_peak``
per device, ``train`` rows (steps/s per model, device and framework, the
ratio to PyTorch eager, GFLOP/s and % of the GEMM peak), ``ops`` rows
(microseconds per op), ``sweep`` (samples/s vs batch size), ``crossover``
(the batch where the GPU overtakes the CPU, or None without a GPU),
``targets`` (DESIGN.md's numbers: met or not) and ``notes``.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from tqdm import tqdm

from . import models, report, timing
from .models import SWEEP_BATCHES


@dataclass
class Config:
    """What to measure and for how long (the command's options).

    ``models``: names from ``MODELS`` to time; ``devices``: ``"cpu"``, ``"cuda"``;
    ``seconds``: timed seconds per measurement and framework, split over ``windows``
    interleaved windows; ``warmup_s``: the least warm-up before timing; ``ops``: time the
    one-op graphs (``OPS``); ``sweep``: time the batch-size sweep over ``batches``;
    ``peak_n``, ``peak_repeats``: the float32 GEMM peak is the best of ``peak_repeats``
    ``(peak_n, peak_n)`` products; ``threads``: BLAS and torch threads (None: NumPy's BLAS
    count, given to torch too); ``smoke``: tiny sizes, to check the command works (the numbers
    mean nothing); ``progress``: a tqdm bar on stderr.
    """

    models: tuple[str, ...] = ("xor", "mnist", "wide")
    devices: tuple[str, ...] = ("cpu",)
    seconds: float = 1.0  # timed seconds per measurement and framework, split over the windows
    windows: int = 5
    warmup_s: float = 0.2
    ops: bool = True
    sweep: bool = True
    batches: tuple[int, ...] = SWEEP_BATCHES
    peak_n: int = 2048
    peak_repeats: int = 5
    threads: int | None = None  # None: NumPy's BLAS count, given to torch too
    smoke: bool = False  # tiny sizes (CI and tests): the numbers mean nothing
    progress: bool = True


def jax_usable(device: str) -> bool:
    """Whether JAX is installed and ``device`` is the CPU (the jax rows: xpnet on JAX's CPU)."""
    return device == "cpu" and importlib.util.find_spec("jax") is not None


def torch_usable(device: str) -> bool:
    """Whether PyTorch is installed and sees ``device``."""
    if importlib.util.find_spec("torch") is None:
        return False
    try:
        models.check("torch", device)
    except RuntimeError:
        return False
    return True


@dataclass
class Task:
    """One interleaved measurement: the candidates to build and where their rates go."""

    label: str
    frameworks: list[str]
    build: Callable[[str], Callable[[], None]]  # framework -> the callable to time
    record: Callable[[dict[str, timing.Measurement]], None]


def run(config: Config) -> dict[str, Any]:
    """Measure what ``config`` asks for; return the result dict (see the module docstring)."""
    for device in config.devices:
        models.check("xpnet", device)
    with timing.matched_threads(config.threads) as threads:
        return _run(config, threads)


def _run(config: Config, threads: int | None) -> dict[str, Any]:
    specs = models.model_specs(config.smoke)
    result: dict[str, Any] = {
        "machine": report.machine_info(threads),
        "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(config).items()},
        "gemm_peak": {}, "train": [], "ops": [], "sweep": None, "crossover": None, "targets": [],
        "notes": [],
    }
    peers = {d: ["xpnet", "torch"] if torch_usable(d) else ["xpnet"] for d in config.devices}
    for d, fws in peers.items():
        if "torch" not in fws:
            result["notes"].append(f"PyTorch is not installed or sees no {d} device: no ratios on {d}")
    if "cpu" in config.devices and config.models and not jax_usable("cpu"):
        result["notes"].append("JAX is not installed: no jax rows (xpnet on JAX's CPU vs on NumPy)")
    tasks = _plan(config, specs, peers, result)
    ticks = 2 * len(config.devices) + sum(len(t.frameworks) * (1 + config.windows) for t in tasks)
    with tqdm(total=ticks, desc="xpnet bench", unit="window", file=sys.stderr, leave=False,
              disable=True if not config.progress else None, dynamic_ncols=True) as bar:
        for device in config.devices:
            bar.set_description(f"GEMM peak {device}")
            result["gemm_peak"][device] = _peak(device, peers[device], config)
            bar.update()
        for task in tasks:
            bar.set_description(task.label)
            candidates = {fw: task.build(fw) for fw in task.frameworks}
            task.record(timing.interleaved(candidates, window_s=config.seconds / config.windows,
                                           windows=config.windows, warmup_s=config.warmup_s,
                                           tick=bar.update))
            del candidates  # the wide nets hold hundreds of MB: free them before the next task
        for device in config.devices:  # again at the end: the best of both, as noise only slows
            bar.set_description(f"GEMM peak {device}, again")
            _repeat_peak(result["gemm_peak"][device], device, config)
            bar.update()
    _finish(result, config)
    return result


def _plan(config: Config, specs: dict[str, models.ModelSpec], peers: dict[str, list[str]],
          result: dict[str, Any]) -> list[Task]:
    tasks: list[Task] = []
    for device in config.devices:
        if config.ops:
            for op in models.OPS:
                fws = [peers[device][0], "raw", *peers[device][1:]]
                tasks.append(Task(f"op {op} {device}", fws,
                                  functools.partial(models.make_op, op=op, device=device),
                                  _op_recorder(result, op, device)))
        with_jax = [*peers[device], models.JAX] if jax_usable(device) else peers[device]
        for name in config.models:
            spec = specs[name]
            tasks.append(Task(f"train {name} {device}", with_jax,
                              functools.partial(models.make_train_step, spec=spec, device=device),
                              _train_recorder(result, spec, device)))
        if config.sweep:
            spec = specs[models.SWEEP_MODEL]
            result["sweep"] = {"model": spec.name, "net": "-".join(map(str, spec.sizes)),
                               "batches": list(config.batches), "results": []}
            for batch in config.batches:
                tasks.append(Task(f"sweep {spec.name} batch {batch} {device}", peers[device],
                                  functools.partial(models.make_train_step, spec=spec, device=device,
                                                    batch=batch),
                                  _sweep_recorder(result, device, batch)))
    return tasks


def _peak(device: str, frameworks: list[str], config: Config) -> dict[str, Any]:
    library = "numpy" if device == "cpu" else "cupy"
    peak: dict[str, Any] = {"library": library, "n": config.peak_n, "repeats": config.peak_repeats,
                            "gflops": timing.gemm_gflops(library, device, config.peak_n, config.peak_repeats)}
    if "torch" in frameworks:
        peak["torch"] = timing.gemm_gflops("torch", device, config.peak_n, config.peak_repeats)
    return peak


def _repeat_peak(peak: dict[str, Any], device: str, config: Config) -> None:
    """Measure the peak again after the models; keep the best of both (the rows use it)."""
    again = timing.gemm_gflops(peak["library"], device, config.peak_n, config.peak_repeats)
    peak["gflops_start"], peak["gflops_end"] = peak["gflops"], again
    peak["gflops"] = max(peak["gflops"], again)
    if "torch" in peak:
        peak["torch"] = max(peak["torch"], timing.gemm_gflops("torch", device, config.peak_n,
                                                               config.peak_repeats))


def _op_recorder(result: dict[str, Any], op: str, device: str) -> Callable[..., None]:
    def record(m: dict[str, timing.Measurement]) -> None:
        us = {fw: 1e6 / v.median for fw, v in m.items()}
        result["ops"].append({"op": op, "device": device, "xpnet_us": us["xpnet"], "raw_us": us["raw"],
                              "overhead_us": us["xpnet"] - us["raw"], "torch_us": us.get("torch"),
                              "windows": {fw: v.as_dict() for fw, v in m.items()}})

    return record


def _train_recorder(result: dict[str, Any], spec: models.ModelSpec, device: str) -> Callable[..., None]:
    flops = models.train_flops(spec.sizes, spec.batch)

    def record(m: dict[str, timing.Measurement]) -> None:
        row: dict[str, Any] = {"model": spec.name, "net": spec.describe(), "device": device,
                               "sizes": list(spec.sizes), "batch": spec.batch, "loss": spec.loss,
                               "flops_per_step": flops, "torch": None, "ratio_vs_torch": None,
                               models.JAX: None, "ratio_jax_vs_numpy": None}
        for fw, v in m.items():
            gflops = v.median * flops / 1e9
            row[fw] = {"steps_per_s": v.median, "gflops": gflops, "peak_percent": None, **v.as_dict()}
        if row["torch"] is not None:
            row["ratio_vs_torch"] = row["xpnet"]["steps_per_s"] / row["torch"]["steps_per_s"]
        if row[models.JAX] is not None:  # xpnet on JAX's CPU / xpnet on NumPy, same model and batch
            row["ratio_jax_vs_numpy"] = row[models.JAX]["steps_per_s"] / row["xpnet"]["steps_per_s"]
        result["train"].append(row)

    return record


def _sweep_recorder(result: dict[str, Any], device: str, batch: int) -> Callable[..., None]:
    def record(m: dict[str, timing.Measurement]) -> None:
        for fw, v in m.items():
            result["sweep"]["results"].append({"device": device, "framework": fw, "batch": batch,
                                               "steps_per_s": v.median, "samples_per_s": v.median * batch})

    return record


def _finish(result: dict[str, Any], config: Config) -> None:
    """Fill the shares of the GEMM peak, ``crossover`` and ``targets`` from the measurements."""
    for row in result["train"]:
        peak = result["gemm_peak"][row["device"]]["gflops"]
        for fw in (*models.FRAMEWORKS, models.JAX):
            if row[fw] is not None:
                row[fw]["peak_percent"] = 100 * row[fw]["gflops"] / peak
                if row[fw]["peak_percent"] > 100:
                    result["notes"].append(
                        f"{fw} {row['model']} on {row['device']} ran above the measured GEMM peak: the "
                        "peak's measurement was slowed by other load; take the % of peak as an upper bound")
    sweep = result["sweep"]
    if sweep and "cuda" in config.devices and "cpu" in config.devices:
        rate = {(r["device"], r["batch"]): r["samples_per_s"] for r in sweep["results"]
                if r["framework"] == "xpnet"}
        over = [b for b in config.batches if rate[("cuda", b)] > rate[("cpu", b)]]
        batch = over[0] if over else None
        result["crossover"] = {"batch": batch, "text": f"from batch {batch} on" if batch else
                               f"not within batches {list(config.batches)}"}
    result["targets"] = targets(result)
    if config.smoke:
        result["notes"].append("smoke sizes: the wide net and the sweep were shrunk; numbers mean nothing")


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """DESIGN.md's "Numbers we hold ourselves to", each with what this run measured."""
    train = {(r["model"], r["device"]): r for r in result["train"]}
    out: list[dict[str, Any]] = []

    def ratio(model: str, device: str, at_least: float, what: str) -> None:
        row = train.get((model, device))
        value = row and row["ratio_vs_torch"]
        out.append({"target": f"{what} >= {at_least:g}x PyTorch eager {device}",
                    "value": "-" if value is None else f"{value:.2f}x",
                    "met": None if value is None else value >= at_least})

    ratio("xor", "cpu", 8.0, "XOR-size steps/s")
    ratio("mnist", "cpu", 1.5, "MNIST-size steps/s")
    ratio("wide", "cpu", 1.1, "wide steps/s")
    wide = train.get(("wide", "cpu"))
    pct = wide and wide["xpnet"]["peak_percent"]
    out.append({"target": "wide >= 85% of float32 GEMM peak (cpu)",
                "value": "-" if pct is None else f"{pct:.0f}%", "met": None if pct is None else pct >= 85})
    cpu_ops = [r["overhead_us"] for r in result["ops"] if r["device"] == "cpu"]
    worst = max(cpu_ops) if cpu_ops else None
    out.append({"target": "autograd overhead <= 2 us/op (cpu, worst op)",
                "value": "-" if worst is None else f"{worst:.1f} us",
                "met": None if worst is None else worst <= 2.0})
    if any(device == "cuda" for _, device in train):
        ratio("mnist", "cuda", 1.5, "MNIST-size steps/s")
        ratio("wide", "cuda", 0.95, "wide steps/s")
    return out
