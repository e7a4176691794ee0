"""What the bench command tells: the machine, the tables, the JSON file and the plot."""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import os
import platform
from pathlib import Path
from typing import Any

LIBRARIES = ("xpnet", "numpy", "array-api-compat", "torch", "cupy", "jax")


def cpu_model() -> str:
    """The CPU's model name (/proc/cpuinfo on Linux, else what ``platform`` knows)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def gpu_name() -> str | None:
    """The first CUDA GPU's name, from CuPy or torch; None when there is none."""
    try:
        import cupy

        props = cupy.cuda.runtime.getDeviceProperties(0)
        name = props["name"]
        return name.decode() if isinstance(name, bytes) else str(name)
    except Exception:  # no cupy, no driver, no device: all mean "no GPU name from CuPy"
        pass
    try:
        import torch

        if torch.cuda.is_available():
            return str(torch.cuda.get_device_name(0))
    except ImportError:
        pass
    return None


def machine_info(threads: int | None) -> dict[str, Any]:
    """Where and when the numbers were taken: CPU, cores, threads, GPU, library versions, date."""
    versions: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    if versions["cupy"] is None:
        for dist in ("cupy-cuda12x", "cupy-cuda11x", "cupy-cuda13x"):
            try:
                versions["cupy"] = importlib.metadata.version(dist)
                break
            except importlib.metadata.PackageNotFoundError:
                continue
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "threads": threads,
        "gpu": gpu_name(),
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,  # others' work
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
    }


def _fmt(value: float | None, spec: str = ".1f", suffix: str = "") -> str:
    return "-" if value is None else f"{value:{spec}}{suffix}"


def _table(header: list[str], rows: list[list[str]], text_columns: int = 1) -> list[str]:
    """Aligned columns: the first ``text_columns`` to the left, numbers to the right."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(r: list[str]) -> str:
        return "  ".join(c.ljust(w) if i < text_columns else c.rjust(w)
                         for i, (c, w) in enumerate(zip(r, widths))).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def format_report(result: dict[str, Any]) -> str:
    """The human-readable report of one run (what the command prints)."""
    m, s = result["machine"], result["settings"]
    head = f"xpnet bench: {m['cpu']}, {m['cores']} cores, threads {m['threads']} (NumPy's BLAS and torch)"
    if m.get("load_average") is not None:
        head += f", load average {m['load_average']:.1f} at start"
    if m["gpu"]:
        head += f", GPU {m['gpu']}"
    out = [head,
           f"{m['date']}; " + ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v),
           f"method: {s['warmup_s']:g} s warm-up, then median of {s['windows']} interleaved windows "
           f"({s['seconds']:g} s timed per measurement)" + ("; SMOKE sizes" if s["smoke"] else ""), ""]
    for dev, peak in result["gemm_peak"].items():
        extra = f"; torch {peak['torch']:.1f}" if peak.get("torch") else ""
        out.append(f"float32 GEMM peak, {dev}: {peak['gflops']:.1f} GFLOP/s "
                   f"({peak['library']}, {peak['n']}x{peak['n']}, best of {peak['repeats']}){extra}")
    if result["train"]:
        out += ["", "Training step (forward, loss, zero_grad, backward, SGD momentum step), float32"]
        rows = [[r["model"], r["net"], r["device"], _fmt(r["xpnet"]["steps_per_s"]),
                 _fmt(r["torch"] and r["torch"]["steps_per_s"]), _fmt(r["ratio_vs_torch"], ".2f", "x"),
                 _fmt(r["xpnet"]["gflops"]), _fmt(r["xpnet"]["peak_percent"], ".0f", "%"),
                 _fmt(r["torch"] and r["torch"]["gflops"])] for r in result["train"]]
        out += _table(["model", "net", "device", "xpnet steps/s", "torch steps/s", "xpnet/torch",
                       "xpnet GFLOP/s", "% of peak", "torch GFLOP/s"], rows, 3)
        jax_rows = [r for r in result["train"] if r.get("jax") is not None]
        if jax_rows:
            out += ["", "The same step, xpnet on JAX's CPU device (jax.numpy) vs on NumPy"]
            rows = [[r["model"], r["net"], _fmt(r["xpnet"]["steps_per_s"]), _fmt(r["jax"]["steps_per_s"]),
                     _fmt(r["ratio_jax_vs_numpy"], ".2f", "x")] for r in jax_rows]
            out += _table(["model", "net", "numpy steps/s", "jax steps/s", "jax/numpy"], rows, 2)
    if result["ops"]:
        out += ["", "One op, forward + backward on 4x4 float32 (microseconds per call); "
                    "overhead = xpnet - raw array library"]
        rows = [[r["op"], r["device"], _fmt(r["xpnet_us"]), _fmt(r["raw_us"]), _fmt(r["overhead_us"]),
                 _fmt(r["torch_us"])] for r in result["ops"]]
        out += _table(["op", "device", "xpnet us", "raw us", "overhead us", "torch us"], rows, 2)
    sweep = result["sweep"]
    if sweep:
        columns = sorted({(r["device"], r["framework"]) for r in sweep["results"]})
        rate = {(r["device"], r["framework"], r["batch"]): r["samples_per_s"] for r in sweep["results"]}
        out += ["", f"Batch-size sweep, {sweep['model']} ({sweep['net']}) training, samples/s"]
        rows = [[str(b), *(_fmt(rate.get((d, f, b)), ".0f") for d, f in columns)]
                for b in sweep["batches"]]
        out += _table(["batch", *(f"{d} {f}" for d, f in columns)], rows)
        if result["crossover"] is not None:
            out.append(f"GPU overtakes CPU (xpnet): {result['crossover']['text']}")
    if result["targets"]:
        out += ["", "Targets (docs: DESIGN.md, 'Numbers we hold ourselves to')"]
        rows = [[t["target"], t["value"], {True: "met", False: "NOT MET", None: "not measured"}[t["met"]]]
                for t in result["targets"]]
        out += _table(["target", "measured", "status"], rows)
    out += [f"note: {n}" for n in result["notes"]]
    return "\n".join(out)


def write_json(path: str | os.PathLike[str], result: dict[str, Any]) -> Path:
    """Write ``result`` as indented JSON (parent folders created); return the path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return p


def plot(path: str | os.PathLike[str], result: dict[str, Any]) -> str:
    """Plot training throughput vs batch size, one line per device and framework.

    Returns a message saying what was written, or why nothing was.
    """
    sweep = result["sweep"]
    if not sweep:
        return "no plot: the batch-size sweep did not run (it is what the plot shows)"
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return f"no plot written to {path}: matplotlib is not installed (pip install matplotlib)"
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for dev, fw in sorted({(r["device"], r["framework"]) for r in sweep["results"]}):
        points = sorted((r["batch"], r["samples_per_s"]) for r in sweep["results"]
                        if (r["device"], r["framework"]) == (dev, fw))
        library = {"xpnet": "NumPy" if dev == "cpu" else "CuPy", "torch": "eager"}[fw]
        ax.plot(*zip(*points), marker="o", linestyle="-" if fw == "xpnet" else "--",
                label=f"{fw} ({library}, {dev})")
    ax.set_xscale("log", base=2)
    ax.set_xticks(sweep["batches"], [str(b) for b in sweep["batches"]])
    ax.set_yscale("log")
    ax.set_xlabel("batch size")
    ax.set_ylabel("training samples / s")
    ax.set_title(f"{sweep['model']} ({sweep['net']}) training throughput\n{result['machine']['cpu']}",
                 fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(p, dpi=120)
    plt.close(fig)
    return f"plot written to {p}"
