#!/usr/bin/env bash
# Prepare, on a machine with network, what the GPU machine lacks for benchmarks/gpu_check.sh,
# in two folders of the repo that git ignores and that a device run carries:
#
#   .whl/               pure-Python wheels for its Python 3.12: pytest and what pytest needs, and
#                       whatever studio's engine and the gpu tests import beyond what that machine
#                       has (torch, numpy, pillow, tqdm): read from pyproject's dependencies, plus
#                       hypothesis if a test imports it. Versions follow .venv where it has them.
#   .gpu-data/pokemon/  the course data (pixel_color.txt, colormap.txt: under 1 MB).
#
#   bash benchmarks/gpu_wheels.sh [COURSE_DATA_DIR]
#
# COURSE_DATA_DIR defaults to $STUDIO_POKEMON_DIR, else ../shared/data/pokemon beside the repo
# (studio.data.find_course_data). Then, on the GPU machine: docs/gpu.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3

# --- wheels -----------------------------------------------------------------------------------
ON_THE_GPU_MACHINE="torch numpy pillow tqdm"  # its image has these (and a CUDA torch): never carried
wanted=$("$PY" - "$ON_THE_GPU_MACHINE" <<'EOF'
import re, sys, tomllib
from pathlib import Path

present = set(sys.argv[1].split())
deps = tomllib.loads(Path("pyproject.toml").read_text())["project"]["dependencies"]
names = [re.match(r"[A-Za-z0-9_.-]+", d).group(0).lower() for d in deps]
names = [n for n in names if n not in present] + ["pytest"]
tests = "\n".join(p.read_text() for p in Path("tests").rglob("*.py"))
if re.search(r"^\s*(from|import) hypothesis", tests, re.M):
    names.append("hypothesis")
print(" ".join(dict.fromkeys(names)))
EOF
)
# The versions .venv runs (CI's), as constraints: the GPU machine then tests the same code.
constraints=$(mktemp)
trap 'rm -f "$constraints"' EXIT
"$PY" -m pip freeze 2>/dev/null | grep -E '^[A-Za-z0-9_.-]+==' | grep -viE '^(torch|nvidia-|triton)' >"$constraints" || true

rm -rf .whl && mkdir -p .whl
echo "gpu_wheels: downloading $wanted (and what they need) for CPython 3.12 into .whl/"
"$PY" -m pip download -q --only-binary=:all: --python-version 3.12 --implementation cp --abi cp312 \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -c "$constraints" -d .whl $wanted
# One version of each (two would stop the install there): pip resolved them together.
ls .whl
du -sh .whl | sed 's/^/gpu_wheels: /'

# --- the course data --------------------------------------------------------------------------
source=${1:-$(PYTHONPATH=. "$PY" -c "from studio.data import find_course_data; print(find_course_data() or '')")}
if [ -n "$source" ] && [ -f "$source/pixel_color.txt" ]; then
    mkdir -p .gpu-data/pokemon
    cp "$source/pixel_color.txt" "$source/colormap.txt" .gpu-data/pokemon/
    echo "gpu_wheels: course data from $source copied to .gpu-data/pokemon"
else
    echo "gpu_wheels: no course data found (give its folder as the argument, or set STUDIO_POKEMON_DIR);" \
         "the GPU check then times the PixelRNN epoch on the built-in creatures" >&2
fi
echo "gpu_wheels: done. Carry .whl and .gpu-data in the device run (docs/gpu.md)."
