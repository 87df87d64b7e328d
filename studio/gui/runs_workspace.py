"""The Runs workspace: every run in the runs folder (and any added folder), a view over the
Qt-free :class:`studio.session.runs.RunsList` that `studio runs list` prints too.

Each row: the newest sample grid, model, dataset, config, steps, best held-out score, date; a
run another process is training now shows as "training (live)" (Open follows it live, the list
re-reads itself while one is listed); a broken run is marked with what is wrong. The folders
added with Add folder… are remembered (QSettings); one that is gone is dropped, and the view
says so. Open and Resume hand the run to the workspace for
its model (through the context, the main window does it); Rename; Delete moves it to the
trash, Undo brings it back. The plot beside draws any metric of every selected run, as
TensorBoard does (a view over studio.session.plots.MetricPlot): smoothing, a log scale, the x
axis (step, wall or CPU seconds), export as PNG and CSV.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QIcon, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFileDialog, QHBoxLayout, QHeaderView,
                               QInputDialog, QLabel, QMessageBox, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from studio.gui.context import StudioContext
from studio.gui.plot_controls import PlotControls, export_png
from studio.gui.widgets import signals_blocked, splitter
from studio.gui.workspaces import TrainsNothing
from studio.session.display import printable
from studio.session.plots import X_AXES, MetricPlot
from studio.session.runs import RunsList, default_runs_dir, existing_folders

COLUMNS = ("Run", "Model", "Dataset", "Config", "Steps", "Best held-out", "Date")
THUMB = 48
RAW_ALPHA = 70  # the raw values under a smoothed line: faint, as in TensorBoard
FOLDERS_KEY = "runs/added_folders"  # QSettings: the folders added with Add folder…
LIVE_REFRESH_MS = 2000  # how often the list is re-read while a run in it is training elsewhere
LIVE_COLOR = "#0f5132"


class RunsWorkspace(TrainsNothing, QWidget):
    def __init__(self, context: StudioContext, parent: QWidget | None = None, folders=None):
        super().__init__(parent)
        self.context = context
        self.runs = RunsList(folders or [default_runs_dir()])
        self._given = list(self.runs.folders)  # the rest were added with Add folder…
        remembered = QSettings().value(FOLDERS_KEY, [], type=list) or []
        added, gone = existing_folders(remembered)
        self.runs.folders += [f for f in added if f not in self.runs.folders]
        if gone:
            self._remember_folders()
        self.runs.changed.connect(self._fill)
        self._live_timer = QTimer(self)
        self._live_timer.setInterval(LIVE_REFRESH_MS)
        self._live_timer.timeout.connect(self.runs.refresh)

        intro = QLabel("<h3 style='margin:0'>Runs</h3><p style='color:gray'>Every training run in "
                       f"{self.runs.folders[0]} and the folders you add. Select one to open or resume "
                       "it; select any number to compare their curves.</p>")
        intro.setWordWrap(True)
        self.folder_note = QLabel()
        self.folder_note.setWordWrap(True)
        self.folder_note.setStyleSheet("color: gray")
        self.folder_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._show_folders(gone)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setIconSize(QPixmap(THUMB * 2, THUMB).size())
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda _: self.open_selected())

        self.buttons = {}
        row = QHBoxLayout()
        for name, tip, slot in (
                ("Open", "Show the run in the workspace for its model", self.open_selected),
                ("Resume", "Continue a stopped run from its latest checkpoint", lambda: self.open_selected(True)),
                ("Rename…", "Give the run folder a name you will recognise", self.rename_selected),
                ("Delete", "Move the run to the trash (Undo brings it back)", self.delete_selected),
                ("Undo delete", "Bring the last deleted run back", self.undo_delete),
                ("Add folder…", "Also list the runs in another folder", self.choose_folder),
                ("Refresh", "Read the folders again", self.runs.refresh)):
            button = QPushButton(name)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            row.addWidget(button)
            self.buttons[name] = button
        row.addStretch(1)

        self.metric_plot = MetricPlot([])
        self.metric_plot.changed.connect(lambda _what: self._draw_comparison())
        self.metric_box = QComboBox()
        self.metric_box.setToolTip("Any metric a selected run logged: those all of them logged first")
        self.metric_box.currentTextChanged.connect(lambda key: key and self.metric_plot.set_metric(key))
        self.x_box = QComboBox()
        for x, text in X_AXES.items():
            self.x_box.addItem(x, x)
            self.x_box.setItemData(self.x_box.count() - 1, text, Qt.ItemDataRole.ToolTipRole)
        self.x_box.setToolTip("The x axis: training step, wall-clock or CPU seconds")
        self.x_box.currentIndexChanged.connect(lambda _: self.metric_plot.set_x(self.x_box.currentData()))
        self.plot = pg.PlotWidget(background="w")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setLabel("bottom", "step")
        self.plot_controls = PlotControls(lambda path: export_png(self.plot.getPlotItem(), path),
                                          self.metric_plot.export_csv, name="runs")
        self.plot_controls.changed.connect(self._restyle)
        self.compare_note = QLabel("Select runs to compare their curves.")
        self.compare_note.setStyleSheet("color: gray")
        self.compare_note.setWordWrap(True)
        compare = QWidget()
        compare_layout = QVBoxLayout(compare)
        compare_layout.setContentsMargins(0, 0, 0, 0)
        metric_row = QHBoxLayout()
        metric_row.addWidget(QLabel("Compare:"))
        metric_row.addWidget(self.metric_box, 1)
        metric_row.addWidget(QLabel("against"))
        metric_row.addWidget(self.x_box)
        compare_layout.addLayout(metric_row)
        compare_layout.addWidget(self.plot_controls)
        compare_layout.addWidget(self.plot, 1)
        compare_layout.addWidget(self.compare_note)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.folder_note)
        layout.addLayout(row)
        layout.addWidget(splitter(self.table, compare, stretch=(3, 2)), 1)
        self._update_buttons()

    def showEvent(self, event) -> None:  # the list is read when the tab is shown, not at launch
        self.runs.refresh()
        super().showEvent(event)

    def hideEvent(self, event) -> None:
        self._live_timer.stop()
        super().hideEvent(event)

    # --- the table ------------------------------------------------------------------------------
    def _fill(self) -> None:
        selected = {s.path for s in self.selected()}
        self.table.setRowCount(len(self.runs.runs))
        for i, run in enumerate(self.runs.runs):
            row = run.as_row()
            steps = f"{row['steps']:,} / {row['total']:,}" if run.total else f"{row['steps']:,}"
            texts = (printable(run.name), row["model"], printable(row["dataset"]), row["config"], steps,
                     row["best"], row["date"])
            for col, text in enumerate(texts):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, str(run.path))
                if run.problem:
                    item.setForeground(QColor("#842029"))
                    item.setToolTip(printable(run.problem))
                elif run.live:
                    item.setForeground(QColor(LIVE_COLOR))
                    item.setToolTip(f"Another process ({run.writer}) is training this run now: "
                                    "Open follows it live")
                self.table.setItem(i, col, item)
            first = self.table.item(i, 0)
            if run.thumbnail is not None:
                first.setIcon(QIcon(QPixmap(str(run.thumbnail)).scaledToHeight(THUMB)))
            if run.problem:
                first.setText(f"⚠ {printable(run.name)}")
            elif run.live:  # under its name, where it is seen without scrolling
                first.setText(f"{printable(run.name)}\n● {run.state_text()}")
                font = QFont(first.font())
                font.setBold(True)
                first.setFont(font)
            self.table.setRowHeight(i, THUMB + 6)
            if run.path in selected:
                self.table.selectRow(i)
        self._update_buttons()
        # A run training elsewhere grows and ends: re-read the list while one is listed.
        if any(run.live for run in self.runs.runs) and self.isVisible():
            self._live_timer.start()
        else:
            self._live_timer.stop()

    def selected(self):
        rows = sorted({index.row() for index in self.table.selectedIndexes()})
        return [self.runs.runs[r] for r in rows if r < len(self.runs.runs)]

    def select(self, *names: str) -> None:
        """Select the runs with these folder names (for tests and embedders)."""
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for i, run in enumerate(self.runs.runs):
            if run.name in names:
                self.table.selectRow(i)
        self.table.setSelectionMode(mode)

    def _update_buttons(self) -> None:
        chosen = self.selected()
        one_healthy = len(chosen) == 1 and chosen[0].problem is None
        self.buttons["Open"].setEnabled(one_healthy)
        self.buttons["Resume"].setEnabled(one_healthy and not chosen[0].live and chosen[0].steps < chosen[0].total)
        self.buttons["Rename…"].setEnabled(len(chosen) == 1 and not chosen[0].live)
        self.buttons["Delete"].setEnabled(bool(chosen) and not any(run.live for run in chosen))
        self.buttons["Undo delete"].setEnabled(self.runs.can_undo)
        self._fill_metrics(chosen)

    # --- actions ----------------------------------------------------------------------------------
    def open_selected(self, resume: bool = False) -> None:
        chosen = self.selected()
        if len(chosen) == 1 and chosen[0].problem is None:
            self.context.request_run(str(chosen[0].path), resume)

    def rename_selected(self) -> None:
        chosen = self.selected()
        if len(chosen) != 1:
            return
        name, ok = QInputDialog.getText(self, "Rename run", "New name:", text=chosen[0].name)
        if ok and name:
            self.rename(chosen[0].path, name)

    def rename(self, path: Path, name: str) -> Path | None:
        """Rename a run; it stays selected (and compared) under its new name."""
        keep = [run.path for run in self.selected()]
        try:
            renamed = self.runs.rename(path, name)
        except (ValueError, OSError) as err:
            QMessageBox.warning(self, "Could not rename", str(err))
            return None
        self._select_paths([renamed if Path(p) == Path(path) else p for p in keep])
        return renamed

    def _select_paths(self, paths) -> None:
        wanted = {Path(p).resolve() for p in paths}
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for i, run in enumerate(self.runs.runs):
            if run.path.resolve() in wanted:
                self.table.selectRow(i)
        self.table.setSelectionMode(mode)

    def delete_selected(self) -> None:
        """No question asked: the runs go to the trash, and the status bar says which and that
        Undo delete (one run a click) brings them back."""
        deleted = []
        for run in self.selected():
            try:
                self.runs.delete(run.path)
            except ValueError as err:  # RunActionError: not a run in the runs folder, being written
                QMessageBox.warning(self, "Could not delete", str(err))
                break
            deleted.append(printable(run.name))
        if deleted:
            what = deleted[0] if len(deleted) == 1 else f"{len(deleted)} runs ({', '.join(deleted)})"
            again = "brings it back" if len(deleted) == 1 else "brings them back, one a click"
            self.context.show_message(f"Moved {what} to the trash: Undo delete {again}", 15000)

    def undo_delete(self) -> None:
        try:
            restored = self.runs.undo_delete()
        except ValueError as err:
            QMessageBox.warning(self, "Could not undo", str(err))
            return
        if restored:
            self.context.show_message(f"Restored {restored}")

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of runs", str(self.runs.folders[0]))
        if folder:
            self.add_folder(folder)

    def add_folder(self, folder: str | Path) -> None:
        """List the runs in ``folder`` too, now and after a restart."""
        self.runs.add_folder(folder)
        self._remember_folders()
        self._show_folders()

    def _remember_folders(self) -> None:
        QSettings().setValue(FOLDERS_KEY, [str(f) for f in self._added()])

    def _added(self) -> list[Path]:
        return [f for f in self.runs.folders if f not in self._given]

    def _show_folders(self, gone=()) -> None:
        lines = []
        if self._added():
            lines.append("Also listing runs in " + ", ".join(printable(str(f)) for f in self._added()) + ".")
        if gone:
            lines.append("Forgot " + ", ".join(printable(str(f)) for f in gone) +
                         ": no longer there (Add folder… lists it again).")
            self.context.show_message(lines[-1], 15000)
        self.folder_note.setText(" ".join(lines))
        self.folder_note.setVisible(bool(lines))

    # --- comparing runs ------------------------------------------------------------------------------
    def _fill_metrics(self, chosen) -> None:
        healthy = [r.path for r in chosen if r.problem is None]
        if healthy != self.metric_plot.runs:
            self.metric_plot.set_runs(healthy)
        keys = self.metric_plot.metrics()
        with signals_blocked(self.metric_box):
            self.metric_box.clear()
            self.metric_box.addItems(keys)
            if self.metric_plot.metric in keys:
                self.metric_box.setCurrentText(self.metric_plot.metric)
        self._draw_comparison()

    def _restyle(self) -> None:
        self.metric_plot.set_smoothing(self.plot_controls.smoothing)
        self.metric_plot.set_log_y(self.plot_controls.log_y)

    def _draw_comparison(self) -> None:
        self.plot.clear()
        self.plot.setTitle(None)  # the legend names the runs drawn now, or nothing
        plot, chosen = self.metric_plot, self.selected()
        if not self.runs.runs:
            self.compare_note.setText("No runs yet: press Train in the GAN, PixelRNN or VAE workspace, "
                                      "or Add folder… for runs made elsewhere.")
            return
        if not chosen or plot.metric is None:
            self.compare_note.setText("Select runs (Ctrl-click for several) to compare their curves."
                                      if not chosen else "The selected runs logged no metric yet.")
            return
        self.plot.setLogMode(y=plot.log_y)
        self.plot.setLabel("bottom", X_AXES[plot.x])
        legend = []  # in the title, not a box over the curves
        smoothed = plot.smoothing > 0
        for curve in plot.curves():
            symbol = "o" if plot.metric.startswith("val/") else None
            if smoothed:
                faint = QColor(curve.colour)
                faint.setAlpha(RAW_ALPHA)
                self.plot.plot(curve.x, curve.drawn(plot.log_y, raw=True), name=f"{curve.name} (raw)",
                               pen=pg.mkPen(faint, width=1), connect="finite")
            self.plot.plot(curve.x, curve.drawn(plot.log_y), name=curve.name, pen=pg.mkPen(curve.colour, width=1.8),
                           connect="finite", symbol=symbol, symbolSize=5, symbolBrush=curve.colour)
            legend.append(f"<span style='color:{curve.colour}'>━ {printable(curve.name)}</span>")
        self.plot.setTitle("&nbsp;&nbsp; ".join(legend), size="9pt")
        hidden = plot.hidden_points()
        note = f"{plot.metric} of {len(plot.curves())} run{'s' * (len(plot.curves()) != 1)}"
        if smoothed:
            note += f", smoothed {plot.smoothing:.2f} (the raw values faint)"
        if hidden:
            note += f"; the log scale leaves out {hidden} value{'s' * (hidden != 1)} ≤ 0"
        self.compare_note.setText(note + ".")

    def compared(self, raw: bool = False) -> dict[str, np.ndarray]:
        """{run name: the y values drawn} — the smoothed lines, or the faint raw ones (for tests)."""
        items = self.plot.listDataItems()
        if raw:
            return {item.name().removesuffix(" (raw)"): item.yData for item in items
                    if item.name().endswith(" (raw)")}
        return {item.name(): item.yData for item in items if not item.name().endswith(" (raw)")}
