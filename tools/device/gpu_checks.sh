#!/usr/bin/env bash
# Every check xpnet owes a real GPU, in one command (docs/gpu.md, "Checking on a GPU").
#
# On the lent GPU machine (the device tool's run; carry the wheels of tools/device/fetch_wheels.sh):
#     command: bash tools/device/gpu_checks.sh     carry: [".whl"]     timeout_s: 570
# Here, on the CPU (CI runs this through tests/test_gpu_checks_script.py):
#     GPU_CHECKS_DRY_RUN=1 bash tools/device/gpu_checks.sh       (or: bash tools/device/gpu_checks.sh --dry-run)
#
# Steps, in order of importance, each under its own timeout and all within GPU_CHECKS_BUDGET
# seconds (default 500; a step that would start with under 15 s left is skipped, and said so);
# a failing step never stops the next:
#   wheels        install .whl/*.whl into /tmp/site (mpich into /tmp/mpich, for mpiexec and libmpi)
#   env           nvidia-smi, Python and library versions, what CuPy and torch see
#   demo          python -m xpnet demo --device cuda
#   train         python -m xpnet train --device cuda (digits, 10 epochs)
#   pytest-cuda   the CUDA-specific test files on --backend cupy,torch-cuda
#   nccl          tools/device/nccl_smoke.py under mpiexec -n 1 with init_process_group("nccl")
#   mpi-gpu       tests/mpi under mpiexec -n 2 on cupy,torch-cuda (GPU arrays staged through MPI)
#   bench         python -m xpnet.bench --quick --devices cpu,cuda (JSON and the sweep's plot)
#   bench-suites  benchmarks/: 1024 XOR nets as one ensemble vs one after another, and the
#                 training steps on cupy and torch-cuda (pytest-benchmark JSON)
#   pytest-suite  the rest of the suite on --backend cupy,torch-cuda, with what is left of the budget
# What comes back under $OUT (at most 8 files): gpu_checks.log (every step's whole output,
# written as it runs, so a killed run still returns it), summary.txt (the table printed last),
# bench.json, bench-sweep.png, benchmarks.json.
#
# Variables: OUT (default: a new folder under /tmp), PYTHON (default python3),
# GPU_CHECKS_BUDGET (seconds, default 500), GPU_CHECKS_ONLY=demo,train (run only these
# steps, e.g. to rerun what failed), GPU_CHECKS_FAIL=step,... (dry run only: those steps run,
# then fail, to check that the others still run). Exit status: 0 when no step failed, else 1.
set -u
cd "$(dirname "$0")/../.."
REPO=$PWD

DRY=0
[ "${GPU_CHECKS_DRY_RUN:-0}" != "0" ] && DRY=1
for arg in "$@"; do
    case "$arg" in
        --dry-run) DRY=1 ;;
        -h | --help) sed -n '2,30p' "$0"; exit 0 ;;
        *) echo "gpu_checks: unknown argument $arg (--dry-run, --help)" >&2; exit 2 ;;
    esac
done

PYTHON=${PYTHON:-python3}
BUDGET=${GPU_CHECKS_BUDGET:-500}
ONLY=${GPU_CHECKS_ONLY:-}
FAIL=${GPU_CHECKS_FAIL:-}
WORK=$(mktemp -d /tmp/gpu-checks.XXXXXX)
if [ -z "${OUT:-}" ]; then OUT=$(mktemp -d /tmp/gpu-checks-out.XXXXXX); fi
mkdir -p "$OUT"
LOG=$OUT/gpu_checks.log
SUMMARY=$OUT/summary.txt
: >"$LOG"
START=$SECONDS
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
export PYTHONPATH=$REPO/src${PYTHONPATH:+:$PYTHONPATH}
export MPLBACKEND=Agg

if [ "$DRY" = 1 ]; then
    SITE=$WORK/site MPI_PREFIX=$WORK/mpich TEST_BACKENDS=cupy-double
else
    SITE=/tmp/site MPI_PREFIX=/tmp/mpich TEST_BACKENDS=cupy,torch-cuda
fi
CUDA_FILES=(tests/test_cupy_kernels.py tests/test_cupy_api.py tests/test_fused.py tests/test_ensemble.py
            tests/test_optim.py)
PYTEST=("$PYTHON" -m pytest -p no:cacheprovider -q -rfE)
# pytest-timeout is on the GPU machine: no single test may eat the budget there.
if "$PYTHON" -c "import pytest_timeout" >/dev/null 2>&1; then PYTEST+=(--timeout=120); fi

NAMES=() STATES=() TIMES=() NOTES=()

record() {  # name state seconds note
    NAMES+=("$1") STATES+=("$2") TIMES+=("$3") NOTES+=("$4")
    printf '%-13s %-8s %5ss  %s\n' "$1" "$2" "$3" "$4" | tee -a "$LOG"
}

wanted() {  # is step $1 selected by GPU_CHECKS_ONLY? (wheels and env always are)
    [ -z "$ONLY" ] || [ "$1" = wheels ] || [ "$1" = env ] || [[ ",$ONLY," == *",$1,"* ]]
}

# step NAME TIMEOUT COMMAND...: run COMMAND under min(TIMEOUT, what is left of the budget),
# its output appended to gpu_checks.log as it comes and its last lines printed after it.
step() {
    local name=$1 limit=$2 left t0 rc state note summary
    shift 2
    wanted "$name" || return 0
    left=$((BUDGET - (SECONDS - START)))
    if [ "$left" -lt 15 ]; then
        record "$name" skipped 0 "budget of ${BUDGET}s spent (rerun with GPU_CHECKS_ONLY=$name)"
        return 0
    fi
    [ "$limit" -gt "$left" ] && limit=$left
    # GPU_CHECKS_FAIL (dry run): the step's command runs, then the step fails with status 3.
    if [ "$DRY" = 1 ] && [[ ",$FAIL," == *",$name,"* ]]; then set -- bash -c '"$@"; exit 3' fail "$@"; fi
    printf '\n===== %s (timeout %ss, %ss into the run): %s\n' "$name" "$limit" "$((SECONDS - START))" "$*" \
        | tee -a "$LOG"
    t0=$SECONDS
    timeout -k 10 "$limit" "$@" 2>&1 | tee -a "$LOG" >"$WORK/step.log"
    rc=${PIPESTATUS[0]}
    tail -n 15 "$WORK/step.log"
    case "$rc" in
        0) state=ok note="" ;;
        124 | 137) state=TIMEOUT
                   note="stopped after ${limit}s$(grep -oE '\[ *[0-9]+%\]' "$WORK/step.log" | tail -n 1 | sed 's/^/ at /')" ;;
        *) state=FAILED note="exit status $rc" ;;
    esac
    summary=$(grep -E '^[0-9]+ (passed|failed|errors?|skipped)|^=+ .*(passed|failed|error)|ok$' "$WORK/step.log" | tail -n 1 \
                 | sed 's/=//g; s/^ *//; s/ *$//')
    [ -n "$note" ] && [ -n "$summary" ] && note="$note; "
    note="$note$summary"
    record "$name" "$state" "$((SECONDS - t0))" "$note"
}

skip() {  # name reason
    wanted "$1" || return 0
    record "$1" skipped 0 "$2"
}

install_wheels() {
    shopt -s nullglob
    local plain=() mpich=()
    for w in .whl/*.whl; do
        case "$(basename "$w")" in mpich-*) mpich+=("$w") ;; *) plain+=("$w") ;; esac
    done
    shopt -u nullglob
    set -e
    if [ "${#plain[@]}" -gt 0 ]; then
        "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
            --target "$SITE" "${plain[@]}"
    fi
    # --target drops a wheel's data files (mpich's lib/libmpi.so): a prefix keeps bin/ and lib/.
    if [ "${#mpich[@]}" -gt 0 ]; then
        "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --ignore-installed \
            --prefix "$MPI_PREFIX" "${mpich[@]}"
    fi
    ls "$SITE" "$MPI_PREFIX/bin" 2>/dev/null | tr '\n' ' '
    echo
}

environment() {
    if [ "$DRY" = 1 ]; then echo "dry run: no nvidia-smi"; else nvidia-smi; fi
    echo "mpiexec: $(command -v mpiexec || echo none); PATH=$PATH"
    "$PYTHON" - "$DRY" <<'PY'
import importlib, platform, sys
print("python", sys.version.split()[0], platform.platform())
for name in ("xpnet", "numpy", "array_api_compat", "array_api_strict", "cupy", "torch", "tqdm",
             "pytest", "pytest_benchmark", "hypothesis", "sklearn", "mpi4py"):
    try:
        module = importlib.import_module(name)
        print(f"{name:18s} {getattr(module, '__version__', '?'):14s} {getattr(module, '__file__', '')}")
    except Exception as exc:  # noqa: BLE001 - report and go on
        print(f"{name:18s} MISSING ({type(exc).__name__}: {exc})")
import xpnet as xn
print("xpnet.cuda_available():", xn.cuda_available())
try:
    import torch
    print("torch CUDA:", torch.version.cuda, torch.cuda.is_available(),
          torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")
except ImportError:
    pass
try:
    import cupy
    from cupy.cuda import nccl, runtime
    if sys.argv[1] != "1":
        props = runtime.getDeviceProperties(0)
        print("cupy: runtime", runtime.runtimeGetVersion(), "driver", runtime.driverGetVersion(),
              "devices", runtime.getDeviceCount(), props["name"].decode(), "cc",
              f"{props['major']}.{props['minor']}")
    print("cupy.cuda.nccl available:", getattr(nccl, "available", "?"),
          nccl.get_version() if getattr(nccl, "available", False) else "")
except Exception as exc:  # noqa: BLE001
    print("cupy:", type(exc).__name__, exc)
try:
    from mpi4py import MPI
    print("MPI:", MPI.Get_library_version().splitlines()[0])
except Exception as exc:  # noqa: BLE001
    print("mpi4py.MPI:", type(exc).__name__, exc)
PY
}

# A working MPI: the machine's own (mpiexec and an mpi4py that loads), else the carried mpich.
use_mpi() {
    if command -v mpiexec >/dev/null && "$PYTHON" -c "from mpi4py import MPI" >/dev/null 2>&1; then
        return 0
    fi
    if [ -x "$MPI_PREFIX/bin/mpiexec" ]; then
        export PATH=$MPI_PREFIX/bin:$PATH LD_LIBRARY_PATH=$MPI_PREFIX/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
        "$PYTHON" -c "from mpi4py import MPI" >/dev/null 2>&1 && return 0
    fi
    return 1
}

export PYTHON SITE MPI_PREFIX DRY
export -f install_wheels environment
echo "gpu_checks: $( [ "$DRY" = 1 ] && echo "DRY RUN on the CPU" || echo "on the GPU" ), budget ${BUDGET}s, OUT=$OUT" \
    | tee -a "$LOG"

if [ -d .whl ] && ls .whl/*.whl >/dev/null 2>&1; then
    step wheels 60 bash -c install_wheels
    export PYTHONPATH=$REPO/src:$SITE${PYTHONPATH#"$REPO/src"}
else
    skip wheels "no .whl/ (run tools/device/fetch_wheels.sh here; carry .whl)"
fi
MPI_OK=0
use_mpi && MPI_OK=1
step env 60 bash -c environment

if [ "$DRY" = 1 ]; then
    step demo 60 "$PYTHON" -m xpnet demo --device cpu --epochs 2 --out "$WORK/demo"
    step train 60 "$PYTHON" -m xpnet train --device cpu --dataset xor --epochs 2 --out "$WORK/train"
    step pytest-cuda 60 "${PYTEST[@]}" "${CUDA_FILES[@]}" --backend "$TEST_BACKENDS" --maxfail=25 \
        -k "sgd_step and float32 and not nesterov"
else
    step demo 120 "$PYTHON" -m xpnet demo --device cuda --out "$WORK/demo"
    step train 90 "$PYTHON" -m xpnet train --device cuda --dataset digits --epochs 10 --out "$WORK/train"
    # --maxfail, not -x: one run on a lent GPU should list every failure, not the first only.
    step pytest-cuda 150 "${PYTEST[@]}" "${CUDA_FILES[@]}" --backend "$TEST_BACKENDS" --maxfail=25
fi

if [ "$MPI_OK" = 1 ]; then
    if [ "$DRY" = 1 ]; then
        step nccl 45 mpiexec -n 2 "$PYTHON" tools/device/nccl_smoke.py --backend mpi --device cpu
        step mpi-gpu 60 mpiexec -n 2 "${PYTEST[@]}" tests/mpi --backend numpy -k "all_reduce_in_place"
    else
        # One GPU here: NCCL refuses two ranks on one GPU, so the NCCL group has one rank.
        step nccl 60 mpiexec -n 1 "$PYTHON" tools/device/nccl_smoke.py --backend nccl --device cuda
        step mpi-gpu 90 mpiexec -n 2 "${PYTEST[@]}" tests/mpi --backend "$TEST_BACKENDS" --maxfail=10
    fi
else
    skip nccl "no MPI launcher: mpiexec or a loadable mpi4py missing (carry mpich: fetch_wheels.sh)"
    skip mpi-gpu "no MPI launcher: mpiexec or a loadable mpi4py missing"
fi

if [ "$DRY" = 1 ]; then
    step bench 60 "$PYTHON" -m xpnet.bench --smoke --devices cpu --models xor --no-ops --no-sweep \
        --no-progress --json "$OUT/bench.json"
    step bench-suites 60 "$PYTHON" -m pytest -p no:cacheprovider -q benchmarks/test_bench_ensemble.py \
        --bench-smoke --benchmark-disable -k numpy
else
    step bench 150 "$PYTHON" -m xpnet.bench --quick --devices cpu,cuda --no-progress \
        --json "$OUT/bench.json" --plot "$OUT/bench-sweep.png"
    step bench-suites 120 "$PYTHON" -m pytest -p no:cacheprovider -q benchmarks/test_bench_ensemble.py \
        benchmarks/test_bench_train.py -k "ensemble or cupy or cuda" --benchmark-only \
        --benchmark-max-time=0.5 --benchmark-json="$OUT/benchmarks.json"
fi

# Last, with the rest of the budget: the rest of the suite (the files above already ran; this
# script's own test would run its dry run again).
SUITE_SKIP=(--ignore=tests/test_gpu_checks_script.py)
for f in "${CUDA_FILES[@]}"; do SUITE_SKIP+=("--ignore=$f"); done
if [ "$DRY" = 1 ]; then
    step pytest-suite 60 "${PYTEST[@]}" tests/test_smoke.py --backend numpy --maxfail=50
else
    step pytest-suite 300 "${PYTEST[@]}" --backend "$TEST_BACKENDS" "${SUITE_SKIP[@]}" --maxfail=50
fi

{
    echo
    echo "gpu_checks summary ($( [ "$DRY" = 1 ] && echo "dry run, CPU" || echo GPU ); $((SECONDS - START))s of ${BUDGET}s; log: gpu_checks.log)"
    printf '%-13s %-8s %6s  %s\n' step status seconds note
    printf '%-13s %-8s %6s  %s\n' ------------- -------- ------ ----
    failed=0
    for i in "${!NAMES[@]}"; do
        printf '%-13s %-8s %6s  %s\n' "${NAMES[$i]}" "${STATES[$i]}" "${TIMES[$i]}" "${NOTES[$i]}"
        case "${STATES[$i]}" in FAILED | TIMEOUT) failed=1 ;; esac
    done
} >"$SUMMARY"
cat "$SUMMARY" | tee -a "$LOG"
rm -rf "$WORK"
[ "$failed" = 0 ]
