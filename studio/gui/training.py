"""The live training monitor: settings, Train / Pause / Resume / Stop, live plots, samples.

One reusable widget for every model's workspace::

    from studio.gui.training import PlotSpec, TrainingPanel, WarningRule

    panel = TrainingPanel(context, model="pixelrnn",
                          plots=[PlotSpec("Loss", keys=["loss"]),
                                 PlotSpec("Bits per pixel", keys=["bits_per_pixel", "val/bits_per_pixel"])],
                          warnings=[WarningRule("val/bits_per_pixel", above=3.0,
                                                message="held-out bits per pixel are high")],
                          intro="<b>PixelRNN</b> predicts each pixel from the ones before it.",
                          sample_caption="Sprites drawn at step {step}.")

``model`` names a module in studio.models: its ``Config`` fields become the settings form
(with ``CONFIGS`` as presets); a str field becomes a combo box of the module's upper-case
plural (gan ``loss`` → ``gan.LOSSES``) or of ``choices={"field": [...]}``. Below it: epochs, batch size,
device, and the buttons. On the right: progress (steps/s, sprites/s, ETA, device), a warning
banner, an error banner, one plot per :class:`PlotSpec` and the latest sample grid.

- :class:`PlotSpec` ``(title, keys, log_y=False, labels=None)``: the metric keys drawn on one
  plot against the step; ``"val/..."`` keys (held-out evaluation, logged at epoch ends) are
  drawn as dots. ``labels`` maps a key to its legend text (defaults: :data:`LABELS`).
- :class:`WarningRule` ``(key, below=None, above=None, message="")``: while the latest value of
  ``key`` is below / above the threshold, the yellow banner shows ``message``.
- Runs go to ``new_run_path(model, panel.runs_dir)``: ``runs_dir`` None means
  ``default_runs_dir()`` ($STUDIO_RUNS_DIR or the user data folder). Other TrainSettings
  fields can be set through ``panel.settings_overrides`` (e.g. ``{"sample_every": 50}``).
- :meth:`TrainingPanel.open_run` follows a run folder written by another process (the CLI)
  or shows a finished one; "Resume" after Stop (or on an opened run with a checkpoint, not
  written to in the last 30 s) continues the same run from its latest checkpoint.
- ``sample_caption`` is the text under the sample grid; "{step}" becomes the grid's step.
- Embedders must call :meth:`TrainingPanel.shutdown` when the window closes (MainWindow calls
  ``shutdown()`` on every workspace that has one): it stops training, keeping a checkpoint.

Signals: ``trainingStarted(dict)``, ``trainingFinished(dict)`` (the engine's summary),
``trainingFailed(str)``, ``metricsReceived(dict)`` (every record, live or followed).
The engine runs in a :class:`studio.gui.training_worker.TrainingWorker` (a QObject on a
QThread with signals metrics / samples / progress / finished / failed); plots are redrawn on a
QTimer at ~25 Hz from numpy buffers, so a fast run never floods the event loop.
"""

from __future__ import annotations

__all__ = ["LABELS", "PlotSpec", "TrainingPanel", "WarningRule"]

import math
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QFrame, QGridLayout, QGroupBox,
                               QHBoxLayout, QLabel, QProgressBar, QPushButton, QScrollArea, QSizePolicy,
                               QSpinBox, QSplitter, QStyle, QToolButton, QVBoxLayout, QWidget)

from studio.gui.context import StudioContext
from studio.gui.training_form import ConfigForm
from studio.gui.training_plots import (LABELS, LatestValues, LivePlots, MetricHistory, PlotSpec,  # noqa: F401
                                       format_seconds)
from studio.gui.widgets import PixelImageView
from studio.models import model_module
from studio.train.engine import TrainSettings, default_settings
from studio.train.run import MetricsFollower, RunDir, new_run_path

REDRAW_MS = 40  # ~25 Hz: smooth to the eye, cheap for the event loop
FOLLOW_MS = 500  # how often a followed run's files are read
LIVE_SECONDS = 30  # an opened run written to more recently than this may still be training elsewhere


@dataclass
class WarningRule:
    """Warn while the latest ``key`` value is < ``below`` or > ``above``."""

    key: str
    below: float | None = None
    above: float | None = None
    message: str = ""

    def triggered(self, value: float) -> bool:
        return (self.below is not None and value < self.below) or \
               (self.above is not None and value > self.above)


class Banner(QFrame):
    """A coloured one-message strip with a close button (warnings and errors)."""

    def __init__(self, background: str, foreground: str, parent=None):
        super().__init__(parent)
        self.setStyleSheet(f"Banner {{ background: {background}; border-radius: 4px; }} "
                           f"QLabel {{ color: {foreground}; }} QToolButton {{ color: {foreground}; "
                           f"border: none; font-weight: bold; }}")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 6, 6)
        row.addWidget(self.label, 1)
        row.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_message(self, text: str) -> None:
        self.label.setText(text)
        self.show()

    def text(self) -> str:
        return "" if self.isHidden() else self.label.text()


class _SquareImageView(PixelImageView):
    """The sample grid's view: as tall as it is wide, so the grid fills it."""

    def __init__(self):
        super().__init__()
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return width


class TrainingPanel(QWidget):
    trainingStarted = Signal(object)
    trainingFinished = Signal(object)
    trainingFailed = Signal(str)
    metricsReceived = Signal(object)

    def __init__(self, context: StudioContext, model: str = "gan", plots: list[PlotSpec] = (),
                 warnings: list[WarningRule] = (), intro: str = "", choices: dict | None = None,
                 sample_caption: str = "Samples at step {step}.", parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.model = model
        self.plot_specs = list(plots)
        self.warning_rules = list(warnings)
        self.sample_caption_text = sample_caption  # "{step}" is replaced by the grid's step
        self.runs_dir: str | Path | None = None  # None: default_runs_dir()
        self.settings_overrides: dict = {}  # more TrainSettings fields, e.g. {"sample_every": 50}
        self.history = MetricHistory()
        self.worker = None  # the TrainingWorker while a run is on its thread
        self._ending: set = set()  # workers whose threads are past their last event, still ending
        self.run_path: Path | None = None
        self._resumable: Path | None = None  # a stopped / opened run with a checkpoint
        self._follower: MetricsFollower | None = None
        self._follow_info: dict = {}
        self._shown_sample: Path | None = None
        self._pending_progress = None
        self._pending_samples = None
        self._dirty = False
        self._timeline: deque = deque(maxlen=10)  # (step, training seconds) of recent records
        self._state = "idle"
        self._module = model_module(model)

        self._build(intro, choices)
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setInterval(REDRAW_MS)
        self._redraw_timer.timeout.connect(self._redraw)
        self._follow_timer = QTimer(self)
        self._follow_timer.setInterval(FOLLOW_MS)
        self._follow_timer.timeout.connect(self._poll_followed_run)
        context.datasetChanged.connect(self._on_dataset_changed)
        self._set_state("idle")

    # --- layout ------------------------------------------------------------------------------
    def _build(self, intro: str, choices: dict | None) -> None:
        # Left: what to train and the buttons.
        self.form = ConfigForm(self._module.Config, self._module.CONFIGS, choices)
        model_box = QGroupBox("Model")
        QVBoxLayout(model_box).addWidget(self.form)

        defaults = default_settings(self.model)
        self.epochs_box = QSpinBox()
        self.epochs_box.setRange(1, 100_000)
        self.epochs_box.setValue(defaults.epochs)
        self.batch_box = QSpinBox()
        self.batch_box.setRange(1, 8192)
        self.batch_box.setValue(defaults.batch_size)
        self.device_box = QComboBox()
        from studio.train.devices import available_devices

        self.device_box.addItems(["auto"] + available_devices())
        self.device_box.setToolTip("auto: a CUDA GPU if present, else Apple MPS, else the CPU")
        train_box = QGroupBox("Training")
        train_form = QFormLayout(train_box)
        train_form.addRow("epochs", self.epochs_box)
        train_form.addRow("batch size", self.batch_box)
        train_form.addRow("device", self.device_box)

        icon = self.style().standardIcon
        self.train_button = QPushButton(icon(QStyle.StandardPixmap.SP_MediaPlay), "Train")
        self.train_button.setToolTip("Start a new run on the open dataset")
        self.train_button.setStyleSheet("QPushButton { font-weight: bold; padding: 6px; }")
        self.pause_button = QPushButton(icon(QStyle.StandardPixmap.SP_MediaPause), "Pause")
        self.resume_button = QPushButton(icon(QStyle.StandardPixmap.SP_MediaSeekForward), "Resume")
        self.resume_button.setToolTip("Continue a paused run, or a stopped one from its checkpoint")
        self.stop_button = QPushButton(icon(QStyle.StandardPixmap.SP_MediaStop), "Stop")
        self.stop_button.setToolTip("Stop after this step and keep a checkpoint")
        self.open_button = QPushButton("Open run…")
        self.open_button.setToolTip("Show a run folder: a finished one, or one the `studio train` "
                                    "command is writing (followed live)")
        buttons = QGridLayout()
        buttons.addWidget(self.train_button, 0, 0, 1, 2)
        buttons.addWidget(self.pause_button, 1, 0)
        buttons.addWidget(self.resume_button, 1, 1)
        buttons.addWidget(self.stop_button, 2, 0)
        buttons.addWidget(self.open_button, 2, 1)
        self.train_button.clicked.connect(self.start_training)
        self.pause_button.clicked.connect(self.pause)
        self.resume_button.clicked.connect(self.resume)
        self.stop_button.clicked.connect(self.stop)
        self.open_button.clicked.connect(self.choose_run)

        self.run_label = QLabel("No run yet")
        self.run_label.setWordWrap(True)
        self.run_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.run_label.setStyleSheet("color: gray")

        left = QWidget()
        left_layout = QVBoxLayout(left)
        if intro:
            intro_label = QLabel(intro)
            intro_label.setWordWrap(True)
            left_layout.addWidget(intro_label)
        left_layout.addWidget(model_box)
        left_layout.addWidget(train_box)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.run_label)
        left_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFixedWidth(320)

        # Right: progress, banners, plots, samples.
        self.progress_bar = QProgressBar()
        self.progress_bar.setFormat("idle")
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
        self.sample_view = _SquareImageView()
        self.sample_view.setMinimumSize(200, 200)
        self.sample_caption = QLabel("Samples appear here while training.")
        self.sample_caption.setStyleSheet("color: gray")
        self.sample_caption.setWordWrap(True)
        self.sample_caption.setFixedHeight(2 * self.sample_caption.fontMetrics().lineSpacing() + 4)
        samples_box = QGroupBox("Samples")
        samples_layout = QVBoxLayout(samples_box)
        samples_layout.addWidget(self.sample_view)
        samples_layout.addWidget(self.sample_caption)
        self.latest = LatestValues(self.plot_specs)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(samples_box)
        side_layout.addWidget(self.latest)
        side_layout.addStretch(1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.plots)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([600, 380])
        splitter.setChildrenCollapsible(False)

        right = QVBoxLayout()
        right.addLayout(status)
        right.addWidget(self.warning_banner)
        right.addWidget(self.error_banner)
        right.addWidget(splitter, 1)

        layout = QHBoxLayout(self)
        layout.addWidget(scroll)
        layout.addLayout(right, 1)

    # --- state ---------------------------------------------------------------------------------
    @property
    def state(self) -> str:
        """idle, running, paused, stopping or following."""
        return self._state

    def _set_state(self, state: str) -> None:
        self._state = state
        self._update_buttons()

    def _update_buttons(self) -> None:
        s = self._state
        busy = s in ("running", "paused", "stopping")
        self.train_button.setEnabled(not busy and self.context.dataset is not None)
        self.pause_button.setEnabled(s == "running")
        self.resume_button.setEnabled(s == "paused" or (s in ("idle", "following") and self._resumable is not None))
        self.stop_button.setEnabled(s in ("running", "paused"))
        self.open_button.setEnabled(not busy)
        self.form.set_editable(not busy)
        for box in (self.epochs_box, self.batch_box, self.device_box):
            box.setEnabled(not busy)

    def _on_dataset_changed(self, _dataset) -> None:
        self._update_buttons()

    def is_training(self) -> bool:
        return self.worker is not None and self.worker.is_running()

    # --- training ------------------------------------------------------------------------------
    def settings(self) -> TrainSettings:
        device = self.device_box.currentText()
        return TrainSettings(**{"epochs": self.epochs_box.value(), "batch_size": self.batch_box.value(),
                                "device": None if device == "auto" else device, **self.settings_overrides})

    def start_training(self) -> bool:
        """Start a new run on the open dataset; False (with the reason shown) if it cannot."""
        if self.is_training():
            return False
        if self.context.dataset is None:
            self.show_error("No dataset is open yet: open one from the File menu.")
            return False
        try:
            config = self.form.config()
        except (ValueError, TypeError) as err:
            self.show_error(f"Invalid settings: {err}")
            return False
        from studio.gui.training_worker import TrainingWorker

        run_path = new_run_path(self.model, self.runs_dir)
        self._launch(TrainingWorker.fresh(self.model, config, self.context.dataset, self.settings(), run_path),
                     run_path, clear=True)
        return True

    def _launch(self, worker, run_path: Path, clear: bool) -> None:
        self._stop_following()
        if clear:
            self._clear()
        self.error_banner.hide()
        self.run_path, self._resumable = Path(run_path), None
        self.run_label.setText(f"Run: {run_path}")
        self.worker = worker
        worker.started.connect(self._on_started)
        worker.metrics.connect(self._on_metrics)
        worker.samples.connect(self._on_samples)
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        self.progress_bar.setRange(0, 0)  # busy until the trainer reports its step count
        self.progress_bar.setFormat("preparing…")
        self._set_state("running")
        self._redraw_timer.start()
        worker.start()

    def pause(self) -> None:
        if self.worker is not None and self._state == "running":
            self.worker.pause()
            self._set_state("paused")
            self.progress_bar.setFormat(self.progress_bar.format().split(" — ")[0] + " — paused")

    def resume(self) -> None:
        """Continue a paused run, or restart a stopped one from its latest checkpoint."""
        if self.worker is not None and self._state == "paused":
            self.worker.resume_training()
            self._set_state("running")
        elif self._state in ("idle", "following") and self._resumable is not None:
            from studio.gui.training_worker import TrainingWorker

            path = self._resumable
            age = _seconds_since_written(RunDir(path))
            if self._state == "following" and age < LIVE_SECONDS:
                self.show_error(f"{path} was written {age:.0f} s ago: another process (`studio train`?) "
                                f"may still be training it. Stop that one first, then Resume here.")
                return
            if self._state == "following":
                self._reload_until_checkpoint(RunDir(path))
            overrides = {"epochs": self.epochs_box.value(), **self.settings_overrides}
            self._launch(TrainingWorker.resume(path, **overrides), path, clear=False)

    def _reload_until_checkpoint(self, run: RunDir) -> None:
        # The resumed run restarts at its checkpoint: drop the records logged after it.
        checkpoint = run.latest_checkpoint()
        last = int(checkpoint.stem.split("_")[-1]) if checkpoint is not None else 0
        self._clear()
        for record in run.metrics():
            if record.get("step", 0) <= last:
                self._add_record(record)

    def stop(self) -> None:
        """Stop after the current step (a checkpoint is written); returns at once."""
        if self.worker is not None and self._state in ("running", "paused"):
            self.worker.stop()
            self._set_state("stopping")
            self.progress_bar.setFormat("stopping after this step…")

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Stop training and wait (bounded) for the thread to end; True if nothing is left running."""
        self._stop_following()
        self._redraw_timer.stop()
        if self.worker is not None:
            self.worker.stop()
            if self.worker.wait(timeout_ms):
                self.worker = None
        for worker in list(self._ending):
            if worker.wait(timeout_ms):
                self._ending.discard(worker)
        return self.worker is None and not self._ending

    # --- worker events (GUI thread, queued) -------------------------------------------------------
    def _on_started(self, info: dict) -> None:
        self.device_label.setText(f"Device: {info['device']}")
        self.progress_bar.setRange(0, max(1, info["total"]))
        self.progress_bar.setValue(info["step"])
        self.progress_bar.setFormat("step %v / %m")
        if info.get("notices"):  # a resume that fell back to an older checkpoint, a taken-over lock
            self.warning_banner.show_message("\n".join(info["notices"]))
        self.trainingStarted.emit(info)

    def _on_metrics(self, record: dict) -> None:
        self._add_record(record)

    def _on_samples(self, step: int, grid) -> None:
        self._pending_samples = (step, grid)
        self._dirty = True

    def _on_progress(self, progress) -> None:
        self._pending_progress = progress
        self._dirty = True

    def _on_finished(self, summary: dict) -> None:
        self._end_worker()
        self._flush()
        status = summary.get("status", "finished")
        if summary.get("checkpoint") and status != "finished":
            self._resumable = Path(summary["run"])
        self.progress_bar.setFormat(f"{status} — step %v / %m")
        self.rate_label.setText("")
        self.context.show_message(f"Training {status} at step {summary.get('step')}: {summary.get('run')}")
        self._set_state("idle")
        self.trainingFinished.emit(summary)

    def _on_failed(self, message: str) -> None:
        self._end_worker()
        self._flush()
        if self.run_path is not None and RunDir(self.run_path).latest_checkpoint() is not None:
            self._resumable = self.run_path
        self.progress_bar.setFormat("failed at step %v")
        self.rate_label.setText("")
        self.show_error(f"Training failed: {message}")
        self._set_state("idle")
        self.trainingFailed.emit(message)

    def _end_worker(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None and not worker.qthread.isFinished():
            # Past its last emit, the thread is ending: keep it (and its QThread) referenced
            # until it has, so it is never destroyed while running. No waiting here.
            self._ending.add(worker)
            worker.qthread.finished.connect(self._forget_ended_workers)  # queued to this thread
        self._redraw_timer.stop()

    def _forget_ended_workers(self) -> None:
        self._ending = {w for w in self._ending if not w.qthread.isFinished()}

    def show_error(self, text: str) -> None:
        self.error_banner.show_message(text)
        self.context.show_message(text.splitlines()[0], 10000)

    # --- metrics, samples, drawing --------------------------------------------------------------------
    def _clear(self) -> None:
        self.history.clear()
        self._timeline.clear()
        self.plots.clear_curves()
        self.latest.clear()
        self.warning_banner.hide()
        self.rate_label.setText("")
        self.sample_view.set_image(np.full((1, 1, 3), 43, np.uint8))
        self.sample_caption.setText("Samples appear here while training.")
        self._shown_sample = None

    def _add_record(self, record: dict) -> None:
        self.history.append(record)
        if "time" in record and not any(k.startswith("val/") for k in record):
            self._timeline.append((record.get("step", 0), record["time"]))
        self._dirty = True
        self._check_warnings()
        self.metricsReceived.emit(record)

    def _check_warnings(self) -> None:
        active = [rule for rule in self.warning_rules
                  if rule.key in self.history.latest and rule.triggered(self.history.latest[rule.key])]
        if active:
            self.warning_banner.show_message("\n".join(
                f"⚠  {rule.message or rule.key} ({rule.key} = {self.history.latest[rule.key]:.3g})"
                for rule in active))
        else:
            self.warning_banner.hide()

    def points(self, key: str) -> int:
        """How many points the plot of ``key`` holds (for tests and embedders)."""
        return len(self.history.series(key)[0])

    def _redraw(self) -> None:
        if not self._dirty:
            return
        self._dirty = self.plots.redraw(self.history)  # one plot per frame: stay dirty till all drawn
        self.latest.update_from(self.history)
        if self._pending_samples is not None:
            step, grid = self._pending_samples
            self._pending_samples = None
            self.sample_view.set_image(grid, auto_range=False)
            self.sample_caption.setText(self.sample_caption_text.format(step=f"{step:,}"))
        if self._pending_progress is not None:
            p, self._pending_progress = self._pending_progress, None
            self._show_progress(p.step, p.total, p.steps_per_second, p.sprites_per_second, p.eta_seconds)

    def _flush(self) -> None:
        """Draw everything pending now (at the end of a run, when the timer stops)."""
        while self._dirty:
            self._redraw()

    def _show_progress(self, step: int, total: int, steps_per_second: float, sprites_per_second: float,
                       eta_seconds: float) -> None:
        self.progress_bar.setRange(0, max(1, total))
        self.progress_bar.setValue(min(step, total))
        epoch_note = " — paused" if self._state == "paused" else ""
        self.progress_bar.setFormat(f"step %v / %m{epoch_note}")
        self.rate_label.setText(f"{steps_per_second:.1f} steps/s · {sprites_per_second:,.0f} sprites/s · "
                                f"ETA {format_seconds(eta_seconds)}")

    # --- following a run folder -------------------------------------------------------------------------
    def choose_run(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a training run", str(self.runs_dir or ""))
        if folder:
            self.open_run(folder)

    def open_run(self, path: str | Path) -> bool:
        """Show a run folder and follow it live while another process writes it."""
        if self.is_training():
            self.show_error("Stop the current training before opening another run.")
            return False
        run = RunDir(path)
        try:
            saved = run.config()
        except (FileNotFoundError, ValueError) as err:
            self.show_error(str(err))
            return False
        self._stop_following()
        self._clear()
        self.error_banner.hide()
        self.run_path = run.path
        self._resumable = run.path if run.latest_checkpoint() is not None else None
        try:
            module = model_module(saved["model"])
            if saved["model"] == self.model:
                from studio.train.config import config_from_dict

                self.form.set_config(config_from_dict(module.Config, saved["model_config"]))
            train = saved.get("train", {})
            self.epochs_box.setValue(train.get("epochs", self.epochs_box.value()))
            self.batch_box.setValue(train.get("batch_size", self.batch_box.value()))
        except (ValueError, KeyError, TypeError) as err:
            self.show_error(f"{run.config_path}: {err}")
        train, data = saved.get("train", {}), saved.get("data", {})
        steps_per_epoch = max(1, data.get("train", 1) // max(1, train.get("batch_size", 1)))
        total = train.get("epochs", 1) * steps_per_epoch
        if train.get("max_steps"):
            total = min(total, train["max_steps"])
        self._follow_info = {"total": total, "batch_size": train.get("batch_size", 1)}
        self.device_label.setText(f"Device: {saved.get('device', '?')}")
        self.run_label.setText(f"Run: {run.path} (opened)")
        self._follower = MetricsFollower(run.metrics_path)
        self._set_state("following")
        self._poll_followed_run()
        self._follow_timer.start()
        self._redraw_timer.start()
        return True

    def _stop_following(self) -> None:
        self._follow_timer.stop()
        self._follower = None
        if self._state == "following":
            self._redraw_timer.stop()
            self._set_state("idle")

    def _poll_followed_run(self) -> None:
        if self._follower is None:
            return
        records = self._follower.poll()
        for record in records:
            self._add_record(record)
        if records:
            self._show_followed_progress()
        grids = RunDir(self.run_path).sample_grids()
        if grids and grids[-1] != self._shown_sample:
            try:
                from PIL import Image

                with Image.open(grids[-1]) as image:
                    rgb = np.asarray(image.convert("RGB"))
            except OSError:
                return  # still being written: next poll
            self._shown_sample = grids[-1]
            step = int(grids[-1].stem.split("_")[-1])
            self._pending_samples = (step, rgb)
            self._dirty = True

    def _show_followed_progress(self) -> None:
        if not self._timeline:
            return
        step = int(self._timeline[-1][0])
        total = self._follow_info["total"]
        rate = self._followed_rate()
        done = step >= total
        eta = (total - step) / rate if rate > 0 else math.inf
        self._show_progress(step, total, rate, rate * self._follow_info["batch_size"], 0 if done else eta)
        live = _seconds_since_written(RunDir(self.run_path)) < LIVE_SECONDS
        status = "finished" if done else "following" if live else "stopped"
        self.progress_bar.setFormat(f"{status} — step %v / %m")
        if not live:  # a rate and ETA would describe a past session
            self.rate_label.setText("")

    def _followed_rate(self) -> float:
        """Steps per second over the last records of a followed run (their "time" field)."""
        recent = self._timeline
        if len(recent) < 2 or recent[-1][1] <= recent[0][1]:
            return 0.0
        return (recent[-1][0] - recent[0][0]) / (recent[-1][1] - recent[0][1])


def _seconds_since_written(run: RunDir) -> float:
    """Seconds since the run's metrics or checkpoints last changed (inf if never)."""
    import time

    paths = [run.metrics_path, *run.step_checkpoints()]
    stamps = [p.stat().st_mtime for p in paths if p.exists()]
    return time.time() - max(stamps) if stamps else float("inf")
