"""Errors reach the user in the GUI: a damaged run opens as a readable message, and an error
raised in a slot becomes a dialog (studio.gui.app.show_uncaught_errors)."""

import dataclasses
import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402

from studio.data import open_dataset  # noqa: E402
from studio.errors import DatasetError  # noqa: E402
from studio.gui.context import StudioContext  # noqa: E402
from studio.gui.gan_explorer import GanExplorerWorkspace  # noqa: E402
from studio.models import gan  # noqa: E402
from studio.train.engine import Trainer, TrainSettings  # noqa: E402

pytestmark = pytest.mark.usefixtures("isolated_app")


@pytest.fixture()
def dialogs(monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a: shown.append(text))
    return shown


@pytest.fixture()
def wrong_typed_run(tmp_path):
    path = tmp_path / "runs" / "gan-1"
    settings = TrainSettings(epochs=1, batch_size=16, sample_every=0, sample_count=0)
    Trainer("gan", dataclasses.replace(gan.DCGAN, z_dim=8, width=8), open_dataset("builtin:n=24"), settings, path).run_training()
    config = json.loads((path / "config.json").read_text())
    config["data"]["palette"] = 16213  # what a hand edit or a bad merge leaves
    (path / "config.json").write_text(json.dumps(config))
    return path


def test_opening_a_run_with_wrong_typed_config_values_says_what_is_wrong(qtbot, wrong_typed_run, dialogs):
    ws = GanExplorerWorkspace(StudioContext())
    qtbot.addWidget(ws)
    ws.open_run(wrong_typed_run)
    qtbot.waitUntil(lambda: "Could not open the run" in ws.run_label.text(), timeout=60_000)
    text = ws.run_label.text()
    assert str(wrong_typed_run / "config.json") in text and "'data.palette' must be" in text

    from studio.gui.main_window import MainWindow

    MainWindow.open_run(None, str(wrong_typed_run))  # File → Open run: the dialog comes first
    assert len(dialogs) == 1 and "'data.palette' must be" in dialogs[0]


@pytest.mark.qt_no_exception_capture
def test_an_error_raised_in_a_slot_becomes_a_dialog(qtbot, dialogs, monkeypatch):
    from studio.gui.app import show_uncaught_errors

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    show_uncaught_errors()

    def slot():
        raise DatasetError("cannot read this image", "sprite.png")

    QTimer.singleShot(0, slot)
    qtbot.waitUntil(lambda: bool(dialogs), timeout=10_000)
    assert dialogs == ["sprite.png: cannot read this image"]
