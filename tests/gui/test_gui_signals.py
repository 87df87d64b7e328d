"""SIGTERM to the desktop app stops its training as Stop does: a checkpoint at the last
logged step, then the app quits with 0. A real signal to a real process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from studio.train.checkpoint import load_checkpoint
from studio.train.run import RunDir, writer_of

APP = """
import sys
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication
from studio.data import open_dataset
from studio.gui.app import stop_training_on_signals
from studio.gui.workers import GuiThread, run_training
from studio.session.training import TrainingSession

app = QApplication([])
stop_training_on_signals(app)  # what run_app does
owner = QObject()
session = TrainingSession("gan", runner=run_training, deliver=GuiThread(owner).post)  # as the Train tab's
session.train(open_dataset("builtin:n=48,seed=3"), session.config_from_dict({"z_dim": 8, "width": 8}),
              session.settings(epochs=100000, batch_size=8, sample_every=0, sample_count=4, device="cpu"),
              out=sys.argv[1])
status = app.exec()
assert session.wait(60)  # as the main window's close waits for its training panels
sys.exit(status)
"""


@pytest.mark.slow  # a real process with Qt and torch: several seconds to start
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_stops_the_apps_training_with_a_checkpoint_and_quits(tmp_path):
    run = tmp_path / "run"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-c", APP, str(run)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        deadline = time.monotonic() + 120
        while len([r for r in RunDir(run).metrics() if "d_loss" in r]) < 2:
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "SIGTERM: stopping after this step and writing a checkpoint" in err and "Traceback" not in err
    steps = [r["step"] for r in RunDir(run).metrics() if "d_loss" in r]
    assert load_checkpoint(RunDir(run).latest_checkpoint())["step"] == steps[-1] > 10
    assert writer_of(run) is None
