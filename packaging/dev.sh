#!/usr/bin/env bash
# Set up the studio in ./.venv (idempotent, quick when already done), then run it or its tests.
#   bash packaging/dev.sh run [ARGS]    open the studio (on the built-in dataset)
#   bash packaging/dev.sh test [ARGS]   run the whole test suite (headless, offscreen Qt), as CI does
#   bash packaging/dev.sh test --quick [ARGS]   the quick lane: every test not marked slow
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${STUDIO_VENV:-.venv}
PY="$VENV/bin/python"

# Shared libraries Qt needs on a bare Debian/Ubuntu (plus Xvfb for screenshots in tests/scripts).
QT_APT_PACKAGES="libegl1 libgl1 libxkbcommon0 libfontconfig1 libglib2.0-0 libdbus-1-3"
QT_LIBS="libEGL.so.1 libGL.so.1 libxkbcommon.so.0 libfontconfig.so.1 libglib-2.0.so.0 libdbus-1.so.3"

ensure_qt_libs() {
    local missing=0 lib
    for lib in $QT_LIBS; do
        ldconfig -p 2>/dev/null | grep -q "$lib" || missing=1
    done
    [ "$missing" = 0 ] && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "dev.sh: installing Qt's system libraries: $QT_APT_PACKAGES"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $QT_APT_PACKAGES >/dev/null
    else
        echo "dev.sh: Qt needs system libraries; install them with:"
        echo "    sudo apt-get install $QT_APT_PACKAGES"
    fi
}

setup() {
    ensure_qt_libs
    [ -x "$PY" ] || python3 -m venv "$VENV"
    local stamp="$VENV/.studio-setup"
    if [ -f "$stamp" ] && [ "$stamp" -nt pyproject.toml ]; then
        return 0
    fi
    "$PY" -m pip install -q --upgrade pip
    # torch: a wheel already on this machine (pip's find-links) is taken as is, without
    # pinning anyone to it; otherwise the project's unpinned `torch` comes from the index
    # (a CUDA build on Linux). For another build, install torch into the venv first.
    if ! "$PY" -c "import torch" 2>/dev/null; then
        "$PY" -m pip install -q --no-index --no-deps torch 2>/dev/null || true
    fi
    "$PY" -m pip install -q -e ".[test]"
    touch "$stamp"
}

cmd=${1:-}
shift || true
case "$cmd" in
    run)
        setup
        exec "$VENV/bin/studio" "$@"
        ;;
    test)
        setup
        export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}
        if [ "${1:-}" = "--quick" ]; then
            shift
            exec "$PY" -m pytest -m "not slow" "$@"
        fi
        exec "$PY" -m pytest "$@"
        ;;
    setup)
        setup
        ;;
    *)
        echo "usage: bash packaging/dev.sh {run|test [--quick]|setup} [ARGS]" >&2
        exit 2
        ;;
esac
