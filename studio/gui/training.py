"""The live training monitor's view: settings, Train / Pause / Resume / Stop, plots, samples.

One reusable widget for every model's workspace::

    panel = TrainingPanel(context, model="pixelrnn",
                          plots=[PlotSpec("Bits per pixel", keys=["bits_per_pixel", "val/bits_per_pixel"])],
                          warnings=[WarningRule("val/bits_per_pixel", above=3.0, message="high")],
                          intro="<b>PixelRNN</b> predicts each pixel from the ones before it.",
                          sample_caption="Sprites drawn at step {step}.")

What a training is lives below it, in ``panel.session``: a Qt-free
:class:`studio.session.training.TrainingSession` (the presets, where runs go, the one
pause / resume / stop, and its ``monitor``: phase, history, smoothed ETA, warnings) — the same
object `studio train` drives. This widget makes the session's calls and mirrors its monitor;
the session trains on the GUI's training pool (``workers.run_training``) and its events come
back to the GUI thread through a ``workers.GuiThread``. ``model`` names a model: its
``Config`` fields become the settings form (its presets in the preset box; choosing one sets the
epochs it comes with). The form, epochs, batch size, device and sample cadence are remembered
per model (QSettings).

- Runs go to ``panel.runs_dir`` (None: $STUDIO_RUNS_DIR or the user data folder), a fresh
  MODEL-TIMESTAMP folder each; ``panel.settings_overrides`` sets other TrainSettings fields.
- Every panel draws the yardstick's plots (``YARDSTICK_PLOTS``) after the workspace's own.
- :meth:`open_run` follows a run folder written by another process, or shows a finished one;
  Resume continues a stopped run (not a shipped pretrained one) from its latest checkpoint.
- Embedders call :meth:`shutdown` when the window closes (MainWindow does): it stops training
  and waits, keeping a checkpoint.

Signals: ``trainingStarted(dict)``, ``trainingFinished(dict)``, ``trainingFailed(str)``,
``metricsReceived(dict)``. Plots are redrawn on a ~25 Hz timer from the monitor's numpy
buffers, so a fast run never floods the event loop.
"""

from __future__ import annotations

__all__ = ["LABELS", "PlotSpec", "TrainingPanel", "WarningRule"]

import dataclasses
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGridLayout,
                               QGroupBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QSpinBox,
                               QStyle, QVBoxLayout, QWidget)
from superqt import QCollapsible

from studio.errors import StudioError
from studio.gui.context import StudioContext
from studio.gui.training_form import ConfigForm, RememberedSettings
from studio.gui.plot_controls import PlotControls, export_png
from studio.gui.training_plots import LABELS, YARDSTICK_PLOTS, LatestValues, LivePlots, PlotSpec  # noqa: F401
from studio.gui.widgets import Banner, SquareImageView, group_box, side_column, signals_blocked, splitter
from studio.gui.workers import GuiThread, run_training
from studio.session.monitor import STOPPING_TEXT, WarningRule
from studio.session.pretrained import is_pretrained
from studio.session.forms import BUDGET_UNITS, Budget, essentials, help_text, label
from studio.session.training import TrainingSession, available_devices

REDRAW_MS = 40  # ~25 Hz: smooth to the eye, cheap for the event loop
FOLLOW_MS = 500  # how often a followed run's files are read
SAMPLE_HINT = "Samples appear here while training."
IDLE_TEXT = "Not training: press Train to start a run"


class TrainingPanel(QWidget):
    trainingStarted = Signal(object)
    trainingFinished = Signal(object)
    trainingFailed = Signal(str)
    metricsReceived = Signal(object)

    def __init__(self, context: StudioContext, model: str = "gan", plots: list[PlotSpec] = (),
                 warnings: list[WarningRule] = (), intro: str = "", choices: dict | None = None,
                 sample_caption: str = "Samples at step {step}.", sample_every: int | None = None,
                 tips: dict | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.model = model
        self.plot_specs = list(plots) + YARDSTICK_PLOTS  # the workspace's, then every model's yardstick
        self.sample_caption_text = sample_caption  # "{step}" is replaced by the grid's step
        self.settings_overrides: dict = {}  # more TrainSettings fields, e.g. {"max_steps": 50}
        self.session = TrainingSession(model, warnings=warnings, runner=run_training, deliver=GuiThread(self).post)
        self.monitor = self.session.monitor
        self._dirty = False
        self._shown_samples = None  # the monitor's (step, grid) the view shows

        self._build(intro, choices, sample_every, tips)
        self.memory = RememberedSettings(f"training/{model}", self.form, self.session.config_from_dict, {
            "budget_unit": self.budget_unit, "budget": self.budget_box, "batch_size": self.batch_box,
            "sample_every": self.sample_box,
            "device": self.device_box})
        self.memory.restore()
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setInterval(REDRAW_MS)
        self._redraw_timer.timeout.connect(self._redraw)
        self._follow_timer = QTimer(self)
        self._follow_timer.setInterval(FOLLOW_MS)
        self._follow_timer.timeout.connect(self.monitor.poll)
        m = self.monitor
        m.phase_changed.connect(self._on_phase)
        m.record_added.connect(self._on_record)
        m.samples_changed.connect(lambda *_: self._mark_dirty())
        m.progress_changed.connect(self._show_progress)
        m.warnings_changed.connect(lambda lines: self.warning_banner.show_message("\n".join(lines))
                                   if lines else self.warning_banner.hide())
        m.error_changed.connect(self._show_error_text)
        m.cleared.connect(self._clear_views)
        m.run_started.connect(self.trainingStarted.emit)
        m.run_finished.connect(self._on_finished)
        m.run_failed.connect(self._on_failed)
        context.datasetChanged.connect(lambda _: self._update_buttons())
        self.form.preset_box.currentTextChanged.connect(self._on_preset)
        self._update_buttons()

    # --- layout ------------------------------------------------------------------------------
    def _build(self, intro: str, choices: dict | None, sample_every: int | None, tips: dict | None) -> None:
        # The lecture's essentials up front, in a learner's words; the rest under Advanced.
        model = self.model
        help_tips = {name: help_text(model, name) for name in self.session.config_fields if help_text(model, name)}
        self.form = ConfigForm(self.session.config_class, self.session.presets, choices, {**help_tips, **(tips or {})},
                               essentials=essentials(model), labels=label)
        model_box = QGroupBox("Model")
        QVBoxLayout(model_box).addWidget(self.form)

        defaults = self.session.settings(self.form.preset())
        self.budget_box = QDoubleSpinBox()
        self.budget_box.setRange(0.1, 1_000_000)
        self.budget_box.setToolTip("How long this run trains: it stops (keeping a checkpoint) when it gets "
                                   "there. CPU-minutes count the computer's work, whatever else it is doing.")
        self.budget_unit = QComboBox()
        self.budget_unit.addItems(BUDGET_UNITS)
        self.budget_unit.currentTextChanged.connect(self._on_budget_unit)
        budget = QHBoxLayout()
        budget.addWidget(self.budget_box, 1)
        budget.addWidget(self.budget_unit)
        self.batch_box = _spin(1, 8192, defaults.batch_size, "Sprites per optimisation step")
        self.sample_box = _spin(0, 100_000, sample_every or defaults.sample_every,
                                "Draw a sample grid every this many steps (and at step 1); 0: only at the end")
        self.device_box = QComboBox()
        self.device_box.addItems(["auto"] + available_devices())
        self.device_box.setToolTip("auto: a CUDA GPU if present, else Apple MPS, else the CPU")
        train_box = QGroupBox("Training")
        train_form = QFormLayout(train_box)
        train_form.addRow("train for", budget)
        train_form.addRow("device", self.device_box)
        self.set_budget(Budget.of(defaults))

        advanced_body = QWidget()
        advanced_layout = QVBoxLayout(advanced_body)
        advanced_layout.setContentsMargins(0, 0, 0, 0)
        advanced_layout.addWidget(self.form.advanced)
        advanced_training = QFormLayout()
        advanced_training.addRow("batch size", self.batch_box)
        advanced_training.addRow("samples every", self.sample_box)
        advanced_layout.addLayout(advanced_training)
        self.advanced = QCollapsible("Advanced")
        self.advanced.addWidget(advanced_body)
        self.advanced.setToolTip("Every other setting of the model and of its training")

        icon = self.style().standardIcon
        self.train_button = QPushButton(icon(QStyle.StandardPixmap.SP_MediaPlay), "Train")
        self.train_button.setToolTip("Start a new run on the open dataset")
        self.train_button.setStyleSheet("QPushButton { font-weight: bold; padding: 6px; }")
        self.pause_button = QPushButton(icon(QStyle.StandardPixmap.SP_MediaPause), "Pause")
        self.pause_button.setToolTip("Hold training after this step; Resume continues")
        self.resume_button = QPushButton(icon(QStyle.StandardPixmap.SP_MediaSeekForward), "Resume")
        self.resume_button.setToolTip("Continue a paused run, or a stopped one from its checkpoint")
        self.stop_button = QPushButton(icon(QStyle.StandardPixmap.SP_MediaStop), "Stop")
        self.stop_button.setToolTip("Stop after this step and keep a checkpoint")
        self.open_button = QPushButton("Open run…")
        self.open_button.setToolTip("Show a run folder: a finished one, or one the `studio train` "
                                    "command is writing (followed live)")
        self.train_button.clicked.connect(self.start_training)
        self.pause_button.clicked.connect(self.pause)
        self.resume_button.clicked.connect(self.resume)
        self.stop_button.clicked.connect(self.stop)
        self.open_button.clicked.connect(self.choose_run)
        buttons = QGridLayout()
        buttons.addWidget(self.train_button, 0, 0, 1, 2)
        buttons.addWidget(self.pause_button, 1, 0)
        buttons.addWidget(self.resume_button, 1, 1)
        buttons.addWidget(self.stop_button, 2, 0)
        buttons.addWidget(self.open_button, 2, 1)
        self.run_label = QLabel("No run yet")
        self.run_label.setWordWrap(True)
        self.run_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.run_label.setStyleSheet("color: gray")

        # Left: the settings scroll; the buttons stay pinned below them, always in view.
        boxes = [model_box, train_box, self.advanced]
        if intro:
            intro_label = QLabel(intro)
            intro_label.setWordWrap(True)
            boxes.insert(0, intro_label)
        scroll = side_column(boxes, min_width=0, margin=0)
        left = QWidget()
        left.setFixedWidth(320)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(scroll, 1)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.run_label)

        # Right: progress, banners, plots, samples.
        self.progress_bar = QProgressBar()
        self.progress_bar.setFormat(IDLE_TEXT)
        self.progress_bar.setTextVisible(True)
        self.rate_label = QLabel()
        self.device_label = QLabel()
        self.device_label.setToolTip("The device this run trains on")
        status = QHBoxLayout()
        status.addWidget(self.progress_bar, 1)
        status.addWidget(self.rate_label)
        status.addSpacing(12)
        status.addWidget(self.device_label)
        self.warning_banner = Banner("#fff3cd", "#664d03")
        self.error_banner = Banner("#f8d7da", "#842029")

        self.plots = LivePlots(self.plot_specs)
        self.curves = self.plots.curves
        self.plot_controls = PlotControls(lambda path: export_png(self.plots.scene(), path), self.export_csv,
                                          name=f"{self.model}-curves")
        self.plot_controls.set_smoothing(0)  # a live run's few points: raw until the learner asks
        self.plot_controls.changed.connect(self._restyle_plots)
        plots_box = QWidget()
        plots_layout = QVBoxLayout(plots_box)
        plots_layout.setContentsMargins(0, 0, 0, 0)
        plots_layout.addWidget(self.plot_controls)
        plots_layout.addWidget(self.plots, 1)
        self.sample_view = SquareImageView()
        self.sample_view.setMinimumSize(200, 200)
        self.sample_caption = QLabel(SAMPLE_HINT)
        self.sample_caption.setStyleSheet("color: gray")
        self.sample_caption.setWordWrap(True)
        self.sample_caption.setFixedHeight(2 * self.sample_caption.fontMetrics().lineSpacing() + 4)
        samples_box = group_box("Samples", self.sample_view, self.sample_caption)
        self.latest = LatestValues(self.plot_specs)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(samples_box)
        side_layout.addWidget(self.latest)
        side_layout.addStretch(1)
        plots_and_side = splitter(plots_box, side, stretch=(3, 2), sizes=(600, 380))
        plots_and_side.setChildrenCollapsible(False)
        right = QVBoxLayout()
        right.addLayout(status)
        right.addWidget(self.warning_banner)
        right.addWidget(self.error_banner)
        right.addWidget(plots_and_side, 1)

        layout = QHBoxLayout(self)
        layout.addWidget(left)
        layout.addLayout(right, 1)

    def _restyle_plots(self) -> None:
        """The smoothing or the scale moved: every plot is drawn again, one a frame."""
        self.plots.set_style(self.plot_controls.smoothing, self.plot_controls.log_y)
        self._dirty = True
        if not self._redraw_timer.isActive():
            self._redraw_timer.start()

    def export_csv(self, path) -> Path:
        """The plotted curves' points (raw and as smoothed), one row a point, as CSV."""
        from studio.session.plots import write_csv

        return write_csv(path, self.plots.export_curves(self.history), "value", "step", self.plot_controls.log_y)

    # --- the monitor's state, mirrored ------------------------------------------------------------
    @property
    def state(self) -> str:
        """idle, running, paused, stopping or following (the monitor's phase)."""
        return self.monitor.phase

    @property
    def history(self):
        return self.monitor.history

    @property
    def run_path(self) -> Path | None:
        return self.monitor.run_path

    @property
    def runs_dir(self) -> Path | None:
        """Where new runs go (None: $STUDIO_RUNS_DIR or the user data folder)."""
        return self.session.runs_dir

    @runs_dir.setter
    def runs_dir(self, folder: str | Path | None) -> None:
        self.session.runs_dir = Path(folder) if folder is not None else None

    def is_training(self) -> bool:
        """A run of this panel trains, is paused, or is stopping."""
        return self.session.busy

    def show_training(self, model: str) -> bool:
        return model == self.model

    def training_panels(self) -> dict:
        return {self.model: self}

    def show_checkpoint(self, model: str, path: Path) -> None:
        pass  # the tab shows its run live already

    def points(self, key: str) -> int:
        """How many points the plot of ``key`` holds (for tests and embedders)."""
        return len(self.history.series(key)[0])

    def _on_phase(self, phase: str) -> None:
        if phase == "following":
            self._follow_timer.start()
        else:
            self._follow_timer.stop()
        if phase in ("running", "following"):
            self._redraw_timer.start()
        self._update_buttons()

    def _update_buttons(self) -> None:
        m = self.monitor
        self.train_button.setEnabled(m.can("train") and self.context.dataset is not None)
        self.pause_button.setEnabled(m.can("pause"))
        self.resume_button.setEnabled(m.can("resume"))
        self.stop_button.setEnabled(m.can("stop"))
        self.open_button.setEnabled(m.can("open"))
        self.form.set_editable(not m.busy)
        for box in (self.budget_box, self.budget_unit, self.batch_box, self.sample_box, self.device_box):
            box.setEnabled(not m.busy)

    def _on_record(self, record: dict) -> None:
        self._mark_dirty()
        self.metricsReceived.emit(record)

    def _mark_dirty(self) -> None:
        self._dirty = True

    def _show_progress(self, p) -> None:
        if p.status == "preparing…":
            self.progress_bar.setRange(0, 0)  # busy until the trainer reports its step count
            self.progress_bar.setFormat("preparing…")
            self.rate_label.setText("")
            return
        # Progress towards whichever limit ends the run: its steps, or its CPU budget.
        if p.limit == "cpu":
            where = f"step {p.step:,} · {p.cpu_seconds / 60:.1f} of {p.cpu_budget / 60:g} CPU-min"
            self.progress_bar.setRange(0, 1000)
            self.progress_bar.setValue(round(1000 * p.fraction))
        else:
            where = f"step {p.step:,} / {p.total:,}"
            self.progress_bar.setRange(0, max(1, p.total))
            self.progress_bar.setValue(min(p.step, max(1, p.total)))
        self.progress_bar.setFormat(where if p.status == "training" else STOPPING_TEXT if p.status == STOPPING_TEXT
                                    else f"{p.status} — {where}")
        self.rate_label.setText(f"{p.steps_per_second:.1f} steps/s · {p.sprites_per_second:,.0f} sprites/s · "
                                f"{p.left_text()}" if p.steps_per_second > 0 else "")
        if self.monitor.device:
            self.device_label.setText(f"Device: {self.monitor.device}")

    def _show_error_text(self, text: str) -> None:
        if text:
            self.error_banner.show_message(text)
            self.context.show_message(text.splitlines()[0], 10000)
        else:
            self.error_banner.hide()

    def show_error(self, text: str) -> None:
        self.monitor.set_error(text)

    def _clear_views(self) -> None:
        self.plots.clear_curves()
        self.latest.clear()
        self.sample_view.set_image(np.full((1, 1, 3), 43, np.uint8))
        self.sample_caption.setText(SAMPLE_HINT)
        self._shown_samples = None

    def _redraw(self) -> None:
        if not self._dirty:
            if not self.monitor.busy and self.monitor.phase != "following":
                self._redraw_timer.stop()
            return
        self._dirty = self.plots.redraw(self.history)  # one plot per frame: stay dirty till all drawn
        self.latest.update_from(self.history)
        samples = self.monitor.samples
        if samples is not None and samples is not self._shown_samples:
            step, grid = self._shown_samples = samples
            self.sample_view.set_image(grid, auto_range=False)
            self.sample_caption.setText(self.sample_caption_text.format(step=f"{step:,}"))

    def _flush(self) -> None:
        """Draw everything pending now (at the end of a run)."""
        self._dirty = True
        while self._dirty:
            self._redraw()

    # --- training ------------------------------------------------------------------------------
    def budget(self) -> Budget:
        """How long the form says to train."""
        amount = self.budget_box.value()
        unit = self.budget_unit.currentText()
        return Budget(unit, amount if unit == "CPU-minutes" else max(1, round(amount)))

    def set_budget(self, budget: Budget) -> None:
        with signals_blocked(self.budget_unit):
            self.budget_unit.setCurrentText(budget.unit)
        self._on_budget_unit(budget.unit)
        self.budget_box.setValue(budget.amount)

    def _on_budget_unit(self, unit: str) -> None:
        self.budget_box.setDecimals(1 if unit == "CPU-minutes" else 0)
        self.budget_box.setSingleStep(1 if unit != "steps" else 100)

    def settings(self):
        """The TrainSettings the form describes (the preset's, then the boxes' values)."""
        device = self.device_box.currentText()
        fields = {"batch_size": self.batch_box.value(), "sample_every": self.sample_box.value(),
                  "device": None if device == "auto" else device, **self.budget().settings()}
        return dataclasses.replace(self.session.settings(self.form.preset()),
                                   **{**fields, **self.settings_overrides})

    def _act(self, action, *args) -> bool:
        """A session call; a refusal (a StudioError) is shown, not raised."""
        try:
            action(*args)
        except StudioError as err:
            self.show_error(str(err))
            return False
        return True

    def start_training(self) -> bool:
        """Start a new run on the open dataset; False (with the reason shown) if it cannot."""
        if self.context.dataset is None:
            self.show_error("No dataset is open yet: open one from the File menu.")
            return False
        try:
            config = self.form.config()
        except (ValueError, TypeError) as err:
            self.show_error(f"Invalid settings: {err}")
            return False
        if not self._act(self.session.train, self.context.dataset, config, self.settings()):
            return False
        self.run_label.setText(f"Run: {self.monitor.run_path}")
        return True

    def pause(self) -> None:
        self.session.pause()

    def resume(self) -> None:
        """Continue a paused run, or restart a stopped one from its latest checkpoint."""
        if self._act(lambda: self.session.resume(**({} if self.monitor.phase == "paused" else
                                                      self._more_training()))):
            self.run_label.setText(f"Run: {self.monitor.run_path}")

    def _more_training(self) -> dict:
        """What Resume trains a stopped run for: the form's budget, counted from where it stopped
        (10 CPU-minutes more, 500 steps more), or its epochs in all."""
        fields = self.budget().settings()
        if fields["cpu_budget"]:
            fields["cpu_budget"] += self.monitor.progress.cpu_seconds
        if fields["max_steps"]:
            fields["max_steps"] += self.monitor.progress.step
        return {**fields, **self.settings_overrides}

    def stop(self) -> None:
        """Stop after the current step (a checkpoint is written); returns at once."""
        self.session.stop()

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Stop training and wait (bounded) for it to end; True if nothing is left running."""
        self._redraw_timer.stop()
        return self.session.shutdown(timeout_ms / 1000)

    def _on_finished(self, summary: dict) -> None:
        self._flush()
        self.context.show_message(f"Training {summary.get('status')} at step {summary.get('step')}: "
                                  f"{summary.get('run')}")
        self.trainingFinished.emit(summary)

    def _on_failed(self, message: str) -> None:
        self._flush()
        self.trainingFailed.emit(message)

    # --- opening a run folder ---------------------------------------------------------------------
    def choose_run(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a training run",
                                                  str(self.session.runs_folder))
        if folder:
            self.open_run(folder)

    def open_run(self, path: str | Path, resume: bool = False, show_settings: bool = True) -> bool:
        """Show a run folder and follow it live while another process writes it, and with
        ``resume`` continue it here from its checkpoint; with ``show_settings`` the form shows
        the run's settings too (on launch it keeps the user's)."""
        if self.is_training():
            self.show_error("Stop the current training before opening another run.")
            return False
        try:
            saved = self.session.follow(path)
        except StudioError as err:
            self.show_error(str(err))
            return False
        if show_settings:
            self._show_run_settings(saved, Path(path))
        self.device_label.setText(f"Device: {self.monitor.device}")
        self.run_label.setText(f"Run: {self.monitor.run_path} (opened)" if not is_pretrained(path) else
                               "Showing the shipped model's training: press Train for your own run.")
        self._flush()
        if resume:
            self.resume()
        return True

    def _show_run_settings(self, saved: dict, path: Path) -> None:
        try:
            with self.memory.quiet():  # shown, not made the user's own settings
                if saved["model"] == self.model:
                    self.form.set_config(self.session.config_from_dict(saved["model_config"]))
                train = saved.get("train", {})
                self.set_budget(Budget.of(train))
                self.batch_box.setValue(train.get("batch_size", self.batch_box.value()))
        except (ValueError, KeyError, TypeError) as err:
            self.show_error(f"{path / 'config.json'}: {err}")

    # --- presets and the remembered form ----------------------------------------------------------
    def _on_preset(self, preset: str) -> None:
        if preset in self.session.presets and not self.monitor.busy:
            self.set_budget(Budget.of(self.session.settings(preset)))


def _spin(low: int, high: int, value: int, tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    box.setToolTip(tip)
    return box
