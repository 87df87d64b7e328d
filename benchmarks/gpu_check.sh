#!/usr/bin/env bash
# The whole GPU check in one command, inside 8 minutes on one H100/H200:
#   1. pytest -m gpu (tests/train/test_gpu.py): every model under bf16 and compiled, resume, an
#      out-of-memory, torchrun + NCCL, the GUI worker's engine call;
#   2. python -m benchmarks.run --device cuda: the table (engine vs plain loop, latencies, quality);
#   3. the lecture PixelRNN on the course data: 300 epochs timed as a user trains, 5000 projected,
#      a torch.profiler table of a step, and its levers (batch size with the learning rate
#      scaled, torch.compile, bf16);
#   4. the engine's throughput with torch.compile against the same plain loop.
# Each step has its own time limit, so one that hangs costs its limit and not the rest.
#
#   bash benchmarks/gpu_wheels.sh                   # first, here (network): .whl/ and .gpu-data/
#   bash benchmarks/gpu_check.sh OUTDIR             # there, with .whl and .gpu-data carried
#   bash benchmarks/gpu_check.sh --dry-run OUTDIR   # the same steps on the CPU, tiny (CI runs it)
#
# OUTDIR gets 7 files (a device run brings back at most 8): gpu_check.log (every step's output),
# steps.tsv (step, exit status, seconds), pytest.xml, gpu.json, epoch.json, compile.json and
# summary.md (all of it as tables). Python: $PYTHON, else python3. Course data:
# $STUDIO_POKEMON_DIR, else .gpu-data/pokemon, else ../shared/data/pokemon.
set -uo pipefail

dry_run=0
if [ "${1:-}" = "--dry-run" ]; then dry_run=1; shift; fi
if [ $# -ne 1 ]; then
    echo "usage: bash benchmarks/gpu_check.sh [--dry-run] OUTDIR" >&2
    exit 2
fi
mkdir -p "$1"
out=$(cd "$1" && pwd)
cd "$(dirname "$0")/.."
repo=$(pwd)
PY=${PYTHON:-python3}
log="$out/gpu_check.log"
: >"$log"
: >"$out/steps.tsv"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# What the GPU machine lacks arrives as wheels (gpu_wheels.sh); the repo itself is not installed.
site=${GPU_CHECK_SITE:-/tmp/site}
if [ $dry_run = 0 ] && compgen -G ".whl/*.whl" >/dev/null; then
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" .whl/*.whl \
        2>&1 | tee -a "$log" || { echo "gpu_check: installing .whl/ failed" | tee -a "$log"; exit 1; }
    export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1
# The image's own pytest plugins (xdist, cov, ...) need not match the carried pytest.
export PYTEST_DISABLE_PLUGIN_AUTOLOAD=1
if [ -z "${STUDIO_POKEMON_DIR:-}" ] && [ -f .gpu-data/pokemon/pixel_color.txt ]; then
    export STUDIO_POKEMON_DIR="$repo/.gpu-data/pokemon"
fi

step() {  # step NAME SECONDS COMMAND...: run it under its limit, log it, record how it ended
    local name=$1 limit=$2 start rc
    shift 2
    echo "=== $name (limit ${limit} s): $*" | tee -a "$log"
    start=$(date +%s)
    timeout -k 10 "$limit" "$@" 2>&1 | tee -a "$log"
    rc=${PIPESTATUS[0]}
    printf '%s\t%s\t%s\n' "$name" "$rc" "$(($(date +%s) - start))" >>"$out/steps.tsv"
    echo "=== $name: exit $rc after $(($(date +%s) - start)) s" | tee -a "$log"
}

{
    echo "gpu_check: $(date -u '+%Y-%m-%d %H:%M UTC'), dry run: $dry_run, python: $PY, course data: ${STUDIO_POKEMON_DIR:-(default search)}"
    nvidia-smi 2>/dev/null || echo "(no nvidia-smi)"
    "$PY" -c "import torch; print('torch', torch.__version__, 'CUDA', torch.version.cuda, 'available:', torch.cuda.is_available(), 'cuDNN', torch.backends.cudnn.version() if torch.cuda.is_available() else '-')"
} 2>&1 | tee -a "$log"

if [ $dry_run = 0 ] && ! "$PY" -c "import sys, torch; sys.exit(not torch.cuda.is_available())"; then
    echo "gpu_check: $PY's torch sees no CUDA GPU here; on a CPU, run it with --dry-run" | tee -a "$log"
    exit 1
fi

bench=("$PY" -m benchmarks.run --no-gui --workdir "$work")  # no Qt on the GPU machine: no GUI stall
if [ $dry_run = 1 ]; then
    # Tiny models and data on the CPU; compilation (minutes on a CPU) is left to the GPU run.
    tests=120 table=120 epoch=120 compiled=120
    table_args=(--quick --device cpu --models gan,vae --no-epoch)
    epoch_args=(--quick --device cpu --models pixelrnn --epoch-sweep 8,86 --sweep-epochs 1)
    compile_args=(--quick --device cpu --models gan --no-epoch --no-quality)
else
    tests=160 table=90 epoch=150 compiled=60
    table_args=(--device cuda --no-epoch)
    epoch_args=(--device cuda --models pixelrnn --reps 2 --no-quality --epoch-reps 300 --epoch-cpu-budget 60
                --epoch-sweep 64,256,713 --sweep-compile off,on --sweep-epochs 20)
    compile_args=(--device cuda --compile --reps 3 --no-epoch --no-quality)
fi

step "pytest -m gpu" "$tests" "$PY" -m pytest -m gpu tests/train/test_gpu.py -p no:cacheprovider -v -rA \
    -W "ignore:Unknown config option" --junitxml="$out/pytest.xml"
step "benchmark table" "$table" "${bench[@]}" "${table_args[@]}" --json "$out/gpu.json"
step "PixelRNN epoch" "$epoch" "${bench[@]}" "${epoch_args[@]}" --json "$out/epoch.json"
step "compiled throughput" "$compiled" "${bench[@]}" "${compile_args[@]}" --json "$out/compile.json"

summary_args=("$out")
[ $dry_run = 1 ] && summary_args+=(--dry-run)
"$PY" -m benchmarks.gpu_summary "${summary_args[@]}" 2>&1 | tee -a "$log"
# The check fails if any step did (timed out included); every step ran regardless.
! cut -f2 "$out/steps.tsv" | grep -qv '^0$'
