#!/usr/bin/env python
"""Does the GUI stay responsive while the GAN trains at full speed? (goal: longest stall < 50 ms)

    python -m benchmarks.gui_stall [--seconds 15] [--batch-size 64] [--data builtin] [--json out.json]

Opens the real main window (offscreen, or on $DISPLAY, e.g. under Xvfb), starts GAN training
from the GAN workspace (default config, built-in data), and ticks a 5 ms QTimer on the GUI
thread. Every gap between ticks longer than the interval is time the event loop could not run:
a stall the user would feel as a frozen window. Prints the longest gap, p99 and median, and
the training speed; ``--json`` also writes them to a file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import add_arguments

TICK_MS = 5


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=15.0, help="how long to measure while training")
    p.add_argument("--batch-size", type=int, default=64)
    add_arguments(p, data="builtin", device=False)
    p.add_argument("--no-train", action="store_true",
                   help="baseline: the same window and timer without training (what the machine's "
                        "own load costs)""")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    runs = tempfile.TemporaryDirectory(prefix="gui-stall-")
    os.environ["STUDIO_RUNS_DIR"] = runs.name

    import numpy as np
    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from studio.gui.app import create_main_window, set_app_names
    from studio.session.forms import Budget

    app = QApplication.instance() or QApplication(sys.argv[:1])
    set_app_names(app)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, runs.name)

    def run_loop(ms: int, until=None) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        if until is not None:
            until.connect(lambda *_: loop.quit())
        loop.exec()

    window = create_main_window(args.data)
    window.resize(1280, 800)
    window.show()
    run_loop(120_000, window.datasetLoaded)
    panel = window.show_workspace("GAN")
    panel.batch_box.setValue(args.batch_size)
    panel.set_budget(Budget("epochs", 100_000))
    if not args.no_train:
        if not panel.start_training():
            print(f"gui_stall: could not start: {panel.error_banner.text()}", file=sys.stderr)
            return 1
        run_loop(120_000, panel.trainingStarted)
        run_loop(2000)  # let the first steps and the first redraws happen

    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    first_step = _latest_step(panel)
    start = time.perf_counter()
    timer.start()
    run_loop(int(args.seconds * 1000))
    timer.stop()
    elapsed = time.perf_counter() - start
    steps = _latest_step(panel) - first_step
    window.close()  # stops training through the shutdown hook

    gaps = np.diff(np.array(ticks)) * 1000
    result = {
        "training": not args.no_train, "seconds": round(elapsed, 1), "batch_size": args.batch_size, "data": args.data,
        "device": panel.device_label.text().removeprefix("Device: "),
        "ticks": int(len(ticks)),
        "longest_stall_ms": round(float(gaps.max()), 1) if len(gaps) else None,
        "p99_ms": round(float(np.percentile(gaps, 99)), 1) if len(gaps) else None,
        "median_ms": round(float(np.median(gaps)), 1) if len(gaps) else None,
        "gaps_over_50ms": int((gaps > 50).sum()),
        "steps_per_s": round(steps / elapsed, 1),
        "sprites_per_s": round(steps * args.batch_size / elapsed),
        "cpu_count": os.cpu_count(),
        "platform": os.environ.get("QT_QPA_PLATFORM", "xcb"),
    }
    width = max(len(k) for k in result)
    print(f"GUI event-loop stalls while training the GAN ({TICK_MS} ms timer; goal: longest < 50 ms)")
    for key, value in result.items():
        print(f"  {key:<{width}}  {value}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


def _latest_step(panel) -> int:
    steps, _ = panel.history.series("d_loss")
    return int(steps[-1]) if len(steps) else 0


if __name__ == "__main__":
    sys.exit(main())
