"""The controls a learner brings from TensorBoard, for any pyqtgraph plot of training curves: a
smoothing slider (TensorBoard's debiased moving average, studio.session.plots.smooth), a log
scale, and export of the plot as a PNG (pyqtgraph's ImageExporter) and of its data as CSV
(studio.session.plots.write_csv: exactly the points drawn). The training monitor and the Runs
compare view each put one row of these over their plots.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pyqtgraph as pg
import pyqtgraph.exporters  # noqa: F401 - registers pg.exporters
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QFileDialog, QHBoxLayout, QLabel, QMessageBox, QPushButton, QSlider, QWidget

from studio.gui.widgets import export_folder, remember_export_folder
from studio.session.plots import DEFAULT_SMOOTHING

SLIDER_STEPS = 100  # the slider's positions: smoothing 0.00 … 0.99


def export_png(item, path: str | Path, width: int | None = None) -> Path:
    """A plot (a PlotItem, or a GraphicsScene for several) as a PNG, through pyqtgraph's exporter."""
    exporter = pg.exporters.ImageExporter(item)
    if width is not None:
        exporter.parameters()["width"] = width
    exporter.export(str(path))
    return Path(path)


class PlotControls(QWidget):
    """Smoothing slider, log scale, Export PNG / Export CSV. ``changed`` after the smoothing or
    the scale moved; the exports call ``png(path)`` and ``csv(path)`` with a chosen file."""

    changed = Signal()

    def __init__(self, png: Callable[[Path], object], csv: Callable[[Path], object], name: str = "plot",
                 parent: QWidget | None = None):
        super().__init__(parent)
        self._png, self._csv, self._name = png, csv, name
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS - 1)
        self.slider.setValue(round(DEFAULT_SMOOTHING * SLIDER_STEPS))
        self.slider.setMaximumWidth(160)
        self.slider.setToolTip("TensorBoard's smoothing: a moving average of the logged values (0 = none). "
                               "The raw values stay, faint")
        self.smoothing_label = QLabel()
        self.log_check = QCheckBox("Log scale")
        self.log_check.setToolTip("A log y axis: equal ratios look equal (values ≤ 0 are left out)")
        self.png_button = QPushButton("Export PNG…")
        self.csv_button = QPushButton("Export CSV…")
        self.png_button.setToolTip("The plot as a picture")
        self.csv_button.setToolTip("The points drawn: run, x, the raw value and the smoothed one")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (QLabel("Smoothing"), self.slider, self.smoothing_label, self.log_check):
            layout.addWidget(widget)
        layout.addStretch(1)
        layout.addWidget(self.png_button)
        layout.addWidget(self.csv_button)
        self._show_smoothing()
        self.slider.valueChanged.connect(lambda _: (self._show_smoothing(), self.changed.emit()))
        self.log_check.toggled.connect(lambda _: self.changed.emit())
        self.png_button.clicked.connect(lambda: self._choose(self._png, "png", "PNG images (*.png)"))
        self.csv_button.clicked.connect(lambda: self._choose(self._csv, "csv", "CSV files (*.csv)"))

    @property
    def smoothing(self) -> float:
        return self.slider.value() / SLIDER_STEPS

    @property
    def log_y(self) -> bool:
        return self.log_check.isChecked()

    def set_smoothing(self, weight: float) -> None:
        self.slider.setValue(round(weight * SLIDER_STEPS))

    def _show_smoothing(self) -> None:
        self.smoothing_label.setText(f"{self.smoothing:.2f}")

    def _choose(self, export, suffix: str, filters: str) -> None:
        path, _ = QFileDialog.getSaveFileName(self, f"Export {suffix.upper()}",
                                              str(export_folder() / f"{self._name}.{suffix}"), filters)
        if not path:
            return
        path = Path(path if path.lower().endswith(f".{suffix}") else f"{path}.{suffix}")
        remember_export_folder(path)
        try:
            export(path)
        except (OSError, ValueError) as err:
            QMessageBox.warning(self, "Could not export", str(err))
