"""The Qt binding the studio installs keeps Python's reference counts straight."""

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QLabel  # noqa: E402


def test_void_qt_calls_do_not_leak_references_to_none(qtbot):
    # PySide6 6.12.0 on CPython 3.11 dropped one reference to None per void call: a long
    # session then aborted with "deallocating None". pyproject.toml excludes that release.
    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for _ in range(1_000):
        label.setText("x")
    assert abs(sys.getrefcount(None) - before) < 100
