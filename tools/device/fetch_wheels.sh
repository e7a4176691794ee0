#!/usr/bin/env bash
# Download into .whl/ the pure-Python wheels (and the mpich wheel) that the lent GPU machine
# lacks, for its Python 3.12 on manylinux x86-64, so that tools/device/gpu_checks.sh can install
# them there, where nothing can be downloaded. Run it here (where pip reaches the index):
#
#     bash tools/device/fetch_wheels.sh            # PYTHON=... to choose the pip to run
#
# Then make the device call with carry [".whl"] (docs/gpu.md, "Checking on a GPU").
# What is missing there comes from /work/.library/device/KINDS.md's package list: xpnet's
# runtime dependency array-api-compat, the test dependency array-api-strict, and mpich (the
# distributed extra's MPI: mpiexec and libmpi for mpi4py, which the image has without an MPI).
# tqdm is in that list, but carried anyway (80 kB) so the run does not depend on the image's.
# numpy, pytest, pytest-benchmark, hypothesis, scikit-learn, matplotlib, safetensors, mpi4py,
# cupy-cuda13x and the NVRTC wheel are there. Pins: one version of each (two stop the install).
set -euo pipefail
cd "$(dirname "$0")/../.."

PYTHON=${PYTHON:-python3}
WHEELS=(
    "array-api-compat==1.16.0"
    "array-api-strict==2.6.1"
    "tqdm==4.70.1"
    "mpich==5.0.2"
)

# .whl/ must stay out of git (it is carried, not committed): .gitignore has /.whl/; add it to
# the checkout's info/exclude as well where it is not ignored (an old .gitignore).
if ! git check-ignore -q .whl/probe.whl 2>/dev/null; then
    exclude=$(git rev-parse --git-path info/exclude)
    mkdir -p "$(dirname "$exclude")"
    echo "/.whl/" >>"$exclude"
    echo "fetch_wheels: added /.whl/ to $exclude"
fi

rm -rf .whl
mkdir -p .whl
"$PYTHON" -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform manylinux1_x86_64 \
    -d .whl "${WHEELS[@]}"

count=$(ls .whl/*.whl | wc -l)
if [ "$count" -ne "${#WHEELS[@]}" ]; then
    echo "fetch_wheels: expected ${#WHEELS[@]} wheels in .whl/, found $count" >&2
    exit 1
fi
# Each wheel's own needs must be on the device already (numpy for array-api-strict).
for w in .whl/*.whl; do
    needs=$(unzip -p "$w" '*.dist-info/METADATA' | grep '^Requires-Dist' | grep -v 'extra ==' \
            | grep -v 'platform_system == "Windows"' || true)
    [ -n "$needs" ] && echo "fetch_wheels: $(basename "$w") needs: ${needs//$'\n'/; }"
done
total=$(du -cb .whl/*.whl | tail -1 | cut -f1)
limit=$((64 * 1024 * 1024))
echo "fetch_wheels: $count wheels, $((total / 1024)) KiB in .whl/ (the device call carries at most 64 MiB with the tree)"
if [ "$total" -gt $((limit / 2)) ]; then
    echo "fetch_wheels: .whl/ is over half of the 64 MiB the device call carries" >&2
    exit 1
fi
