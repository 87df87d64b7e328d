#!/usr/bin/env bash
# Build the frozen one-folder app with packaging/studio.spec, run it, and say how long the
# build took and how big the result is. Slow (minutes: PyInstaller imports all of torch).
#   bash packaging/freeze_check.sh [OUTDIR]     (default: dist/; work files in build/pyinstaller)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-dist}
VENV=${STUDIO_VENV:-.venv}
PY="$VENV/bin/python"
[ -x "$PY" ] || { echo "freeze_check: no $PY; run: bash packaging/dev.sh setup" >&2; exit 2; }
# PyInstaller is a build tool, not a dependency of the studio or its tests.
"$PY" -c "import PyInstaller" 2>/dev/null || "$PY" -m pip install -q pyinstaller

start=$(date +%s)
nice -n 10 "$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$OUT" --workpath build/pyinstaller packaging/studio.spec
seconds=$(( $(date +%s) - start ))

APP="$OUT/studio/studio"
[ -x "$APP" ] || APP="$OUT/studio/studio.exe"
echo "freeze_check: $APP --version"
"$APP" --version
echo "freeze_check: $APP data info builtin"
"$APP" data info builtin
echo "freeze_check: built in $((seconds / 60)) min $((seconds % 60)) s;" \
     "$OUT/studio is $(du -sh "$OUT/studio" | cut -f1) ($(find "$OUT/studio" -type f | wc -l) files)"
