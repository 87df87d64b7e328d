#!/usr/bin/env python
"""Save a screenshot of the real studio window (for the README, reviews, bug reports).

    python packaging/screenshot.py --workspace Dataset -o shot.png [--dataset PATH]
        [--size 1280x800] [--setup MODULE:FUNC] [--grab window|screen] [--delay MS]

Runs the app in-process on a throw-away QSettings (your recent list is not touched), opens
``--dataset`` (default: builtin), shows the ``--workspace`` tab, calls the ``--setup`` hook
``FUNC(window)`` to drive the window into a state (select a sprite, load a run, ...), waits
for it to render and saves a PNG. Hooks live in any importable module; this folder is on
sys.path, so ``--setup screenshot_setups:dataset_selected`` works.

Headless: under Xvfb, like a real desktop,
    Xvfb :99 -screen 0 1280x800x24 &
    QT_QPA_PLATFORM=xcb DISPLAY=:99 python packaging/screenshot.py ...
or with no display at all (QT_QPA_PLATFORM=offscreen, the default when $DISPLAY is unset).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-o", "--output", required=True, help="PNG file to write")
    p.add_argument("--workspace", default="Dataset", help="tab to show (its title in workspaces.py)")
    p.add_argument("--dataset", default="builtin", help="dataset to open (default: builtin)")
    p.add_argument("--size", default="1280x800", help="window size WxH (default 1280x800)")
    p.add_argument("--setup", help="MODULE:FUNC called as FUNC(window) before the grab")
    p.add_argument("--grab", choices=("window", "screen"), default="window",
                   help="grab the window's widgets, or the whole screen (needs a real display)")
    p.add_argument("--delay", type=int, default=500, help="ms to let it render before the grab")
    p.add_argument("--timeout", type=int, default=120, help="seconds to wait for the dataset")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    width, height = (int(v) for v in args.size.lower().split("x"))

    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from studio.gui.app import create_main_window, set_app_names

    app = QApplication.instance() or QApplication(sys.argv[:1])
    set_app_names(app)
    settings_dir = tempfile.TemporaryDirectory(prefix="studio-shot-")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_dir.name)

    window = create_main_window(args.dataset)
    if args.workspace not in window.workspaces:
        print(f"screenshot: no workspace {args.workspace!r}; there are {list(window.workspaces)}",
              file=sys.stderr)
        return 2
    window.resize(width, height)
    window.move(0, 0)
    result = {}
    loop = QEventLoop()
    window.datasetLoaded.connect(lambda path, ds: (result.setdefault("ok", ds), loop.quit()))
    window.datasetFailed.connect(lambda path, msg: (result.setdefault("error", msg), loop.quit()))
    QTimer.singleShot(args.timeout * 1000, loop.quit)
    window.show()
    window.show_workspace(args.workspace)
    loop.exec()
    if "ok" not in result:
        print(f"screenshot: could not open {args.dataset}: {result.get('error', 'timed out')}",
              file=sys.stderr)
        return 1
    def wait_ms(ms: int) -> None:
        # A real event loop, not QTest.qWait: qWait keeps the GIL, starving the worker threads.
        pause = QEventLoop()
        QTimer.singleShot(ms, pause.quit)
        pause.exec()

    # Let the device label (found on a worker thread) arrive before the grab.
    for _ in range(args.timeout * 10):
        if window.device_text_ready():
            break
        wait_ms(100)
    if args.setup:
        module_name, _, func_name = args.setup.partition(":")
        getattr(importlib.import_module(module_name), func_name)(window)
    wait_ms(args.delay)
    app.processEvents()
    if args.grab == "screen":
        pixmap = QGuiApplication.primaryScreen().grabWindow(0)
    else:
        pixmap = window.grab()
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not pixmap.save(str(out), "PNG"):
        print(f"screenshot: could not write {out}", file=sys.stderr)
        return 1
    print(f"screenshot: {out} ({pixmap.width()}×{pixmap.height()}, {out.stat().st_size // 1024} KB)")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
