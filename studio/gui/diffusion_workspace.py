"""The Diffusion workspace: watch masked diffusion draw, step by step, or train it.

Watch: eight sprites drawn from fixed seeds in K steps on a schedule, then R corrector passes
(the controls on the left; the sprites are re-drawn when they change). The timeline scrubs
through the unmasking and the corrections — frame k is the sprites after step or pass k,
still-hidden pixels as a grey checker — and Play runs it. Beside them, for the same frame:
*when* each pixel was first committed (dark first, yellow last) and how sure the model was of
its colour when last drawn (dark unsure, yellow sure). The state and the
pictures live in :class:`studio.session.diffusion_view.DiffusionView`; a draw (seconds at
K = 400) runs on a worker, at most one at a time (workers.Latest), so dragging K never blocks.

Train: the shared TrainingPanel. While it trains (or follows a run), each new checkpoint is
loaded and the same seeds are drawn again: the same sprites, sharpening as training goes.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QFormLayout, QHBoxLayout, QLabel, QPushButton, QSlider,
                               QSpinBox, QStyle, QVBoxLayout, QWidget)

from studio.errors import describe_error
from studio.gui.context import StudioContext
from studio.gui.training import PlotSpec
from studio.gui.widgets import PixelImageView, group_box, side_column, signals_blocked, splitter
from studio.gui.workers import Latest
from studio.session.diffusion_view import MAX_STEPS, SCHEDULES, DiffusionView, checkpoint_stamp, open_diffusion
from studio.gui.workspaces import ViewAndTrainTab
from studio.session.pretrained import model_title

LAST_RUN_KEY = "models/diffusion"  # QSettings: the run shown last, shown again on launch
WATCH_MS = 2000  # how often the trained run's checkpoints are looked at
PLAY_SECONDS = 2.5  # Play runs the whole timeline in about this long
PLOTS = [
    PlotSpec("Bound on −log p(x) (bits per pixel)", keys=["elbo_bits_per_pixel", "val/elbo_bits_per_pixel"]),
    PlotSpec("Gradient norm", keys=["grad_norm"]),
]
INTRO = ("<b>Diffusion</b> (masked, discrete): hide pixels, more and more, until the whole sprite is "
         "[MASK]; a transformer learns to guess the hidden pixels from the visible ones. To draw, it "
         "starts all-hidden and commits a few pixels per step, the surest first. The loss is a bound on "
         "bits per pixel (D3PM's ELBO).")
WATCH_INTRO = ("Eight sprites from fixed seeds, drawn in <b>K</b> steps: each step guesses every hidden "
               "pixel and keeps some. Then <b>corrector</b> passes redraw a random tenth at a time, seeing "
               "the rest. Scrub the timeline to watch them appear.")


class DiffusionWorkspace(ViewAndTrainTab, QWidget):
    MODEL = "diffusion"
    LAST_RUN_KEY = LAST_RUN_KEY

    #: a run's model is shown (its folder)
    runLoaded = Signal(str)
    #: a draw is shown (after a run, K, the schedule or the seed changed)
    drawn = Signal()

    def __init__(self, context: StudioContext, parent: QWidget | None = None, auto_load: bool = True):
        super().__init__(parent)
        self.context = context
        self.view = DiffusionView(n=8, seed=0)
        self.run_path: Path | None = None
        self._stamp = None  # checkpoint_stamp of the model shown
        self._dropped = None  # (run folder, checkpoint_stamp) of the model drop_model took off the view
        self._draw_pending = False
        self._drawer = Latest(self._show_drawn, self._failed, name="draw with diffusion", owner=self)
        self._loader = Latest(self._show_run, self._failed, name="open diffusion run", owner=self)

        self._add_tabs(self._build_watch_page(), "Watch it draw", auto_load, plots=PLOTS, intro=INTRO,
                       sample_caption="Samples at step {step}.")
        self.view.changed.connect(self._on_view)
        self._watch_timer = QTimer(self)
        self._watch_timer.setInterval(WATCH_MS)
        self._watch_timer.timeout.connect(self.check_checkpoint)
        self._watch_timer.start()
        self._play_timer = QTimer(self)
        self._play_timer.timeout.connect(self._play_step)

    # --- layout ------------------------------------------------------------------------------------
    def _build_watch_page(self) -> QWidget:
        self.steps_slider = QSlider(Qt.Orientation.Horizontal)
        self.steps_spin = QSpinBox()
        for control in (self.steps_slider, self.steps_spin):
            control.setRange(1, MAX_STEPS)
            control.setToolTip("K: how many network passes draw the 400 pixels. 1: all at once, each pixel "
                               "on its own; 400: one at a time, each seeing all before it")
        self.steps_slider.valueChanged.connect(self.steps_spin.setValue)
        self.steps_spin.valueChanged.connect(self.steps_slider.setValue)
        self.steps_spin.valueChanged.connect(lambda k: self.view.set_sampling(steps=k))
        self.schedule_box = QComboBox()
        for name, text in SCHEDULES.items():
            self.schedule_box.addItem(name, name)
            self.schedule_box.setItemData(self.schedule_box.count() - 1, text, Qt.ItemDataRole.ToolTipRole)
        self.schedule_box.setToolTip("Which hidden pixels a step keeps: " +
                                     "; ".join(f"{k}: {v}" for k, v in SCHEDULES.items()))
        self.schedule_box.currentIndexChanged.connect(
            lambda: self.view.set_sampling(schedule=self.schedule_box.currentData()))
        self.corrector_spin = QSpinBox()
        self.corrector_spin.setRange(0, MAX_STEPS)
        self.corrector_spin.setToolTip("Corrector passes after the K steps: each hides a random tenth of the drawn "
                                       "pixels again and redraws them seeing all the rest, so a stray colour "
                                       "drawn early can be fixed. 0: none")
        self.corrector_spin.valueChanged.connect(lambda r: self.view.set_sampling(corrector=r))
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 9999)
        self.seed_spin.setToolTip("The samples' seed: the same seed draws the same sprites from the same model, "
                                  "so you can watch them change as it trains")
        self.seed_spin.valueChanged.connect(lambda s: self.view.set_sampling(seed=s))
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color: gray")
        k_row = QHBoxLayout()
        k_row.addWidget(self.steps_slider, 1)
        k_row.addWidget(self.steps_spin)
        form = QFormLayout()
        form.addRow("Steps K", k_row)
        form.addRow("Schedule", self.schedule_box)
        form.addRow("Corrector", self.corrector_spin)
        form.addRow("Seed", self.seed_spin)
        sampling = group_box("Sampling", form, self.status)
        intro = QLabel(WATCH_INTRO)
        intro.setWordWrap(True)
        left = side_column([intro, sampling], min_width=260)
        left.setMaximumWidth(320)

        self.frame_view = PixelImageView()
        self.play_button = QPushButton(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "Play")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Run the timeline from the first step to the last")
        self.play_button.toggled.connect(self.play)
        self.timeline = QSlider(Qt.Orientation.Horizontal)
        self.timeline.setToolTip("Frame k: the sprites after step k (grey checker: still hidden)")
        self.timeline.valueChanged.connect(self.view.set_step)
        self.step_label = QLabel()
        self.step_label.setStyleSheet("color: gray")
        timeline_row = QHBoxLayout()
        timeline_row.addWidget(self.play_button)
        timeline_row.addWidget(self.timeline, 1)
        centre = _column(_caption("The samples after step k"), self.frame_view, timeline_row, self.step_label)

        self.order_view, self.confidence_view = PixelImageView(), PixelImageView()
        right = splitter(_column(_caption("<b>Order</b>: when each pixel was committed, dark first, yellow last"),
                                 self.order_view),
                         _column(_caption("<b>Confidence</b>: p(its colour) when last drawn, dark unsure, "
                                          "yellow sure"), self.confidence_view),
                         orientation=Qt.Orientation.Vertical)
        page = self._view_page(splitter(left, centre, right, stretch=(0, 3, 2)))
        self._controls = [self.steps_slider, self.steps_spin, self.schedule_box, self.corrector_spin, self.seed_spin,
                          self.play_button, self.timeline]
        return page

    def _set_enabled(self, on: bool) -> None:
        for widget in self._controls:
            widget.setEnabled(on)

    # --- the Workspace protocol ------------------------------------------------------------------
    def show_checkpoint(self, model: str, path: Path) -> None:
        pass  # check_checkpoint watches the Train tab's run already

    def shutdown(self) -> bool:
        self._watch_timer.stop()
        self._play_timer.stop()
        return super().shutdown()

    # --- the model shown -----------------------------------------------------------------------------
    def has_model(self) -> bool:
        return self.view.run is not None

    def drop_model(self) -> None:
        self._loader.cancel()
        if self.run_path is not None:  # the Train tab may still show that run: not to be re-shown
            self._dropped = (self.run_path.resolve(), self._stamp)  # unless it writes a newer checkpoint
        self.run_path = None
        self.play(False)
        self.view.clear()  # → "cleared": the pictures go; a draw still running is of a model gone
        self._set_enabled(False)

    def choose_run(self) -> None:
        folder = self._ask_run_folder()
        if folder:
            self.open_run(folder)

    def load_run(self, path: str | Path) -> None:
        """Open the run's best checkpoint on a worker, then draw the samples with it."""
        path = Path(path)
        self.status.setText(f"Loading {path.name} …")
        self._loader.request(lambda: (path, checkpoint_stamp(path), open_diffusion(path)))

    def _show_run(self, result) -> None:
        path, stamp, run = result
        new_folder = self.run_path is None or path.resolve() != self.run_path.resolve()
        self.run_path, self._stamp = path, stamp
        self.view.set_run(run)  # → "run": a re-draw with the same seeds
        if new_folder:
            QSettings().setValue(LAST_RUN_KEY, str(path))
        self.run_label.setText(f"Model: {run.describe(model_title(path))}")
        self.run_label.setToolTip(str(path))
        self._set_enabled(True)
        self.runLoaded.emit(str(path))

    def check_checkpoint(self) -> None:
        """While the Train tab trains or follows a run: show its newest checkpoint's model."""
        path = self.training.run_path
        if path is None or self.training.state not in ("running", "paused", "stopping", "following") \
                or self._loader.busy:
            return
        stamp = checkpoint_stamp(path)
        same = self.run_path is not None and Path(path).resolve() == self.run_path.resolve()
        if (Path(path).resolve(), stamp) == self._dropped:
            return  # the model dropped because it does not fit the open dataset, unchanged since
        if stamp is not None and (not same or stamp != self._stamp):
            self.load_run(path)

    def _failed(self, error: BaseException) -> None:
        self.status.setText(f"Could not draw: {describe_error(error)}")
        self.context.show_message(f"Diffusion: {describe_error(error)}", 10000)

    # --- drawing and the timeline -------------------------------------------------------------------
    def _on_view(self, what: str) -> None:
        view = self.view
        if what == "run":
            with signals_blocked(self.steps_spin, self.steps_slider, self.schedule_box, self.corrector_spin):
                self.steps_spin.setValue(view.steps)
                self.steps_slider.setValue(view.steps)
                self.corrector_spin.setValue(view.corrector)
                self.schedule_box.setCurrentIndex(self.schedule_box.findData(view.schedule))
        if what in ("run", "sampling"):
            self._schedule_draw()
        elif what == "trajectory":
            with signals_blocked(self.timeline):
                self.timeline.setRange(0, view.last_step)
                self.timeline.setValue(view.step)
            self._show_step()
            self.drawn.emit()
        elif what == "step":
            with signals_blocked(self.timeline):
                self.timeline.setValue(view.step)
            self._show_step()
        elif what == "cleared":
            for picture in (self.frame_view, self.order_view, self.confidence_view):
                picture.clear()
            with signals_blocked(self.timeline):
                self.timeline.setRange(0, 0)
            self.step_label.setText("")
            self.status.setText("")

    def _schedule_draw(self) -> None:
        # Coalesce: a drag of K sends many values in one pass; draw once, with the last.
        if not self._draw_pending:
            self._draw_pending = True
            QTimer.singleShot(0, self.draw_now)

    def draw_now(self) -> None:
        self._draw_pending = False
        if self.view.run is not None:
            self.status.setText(f"Drawing with K = {self.view.steps} ({self.view.schedule}) and "
                                f"{self.view.corrector} corrector passes …")
            self._drawer.request(self.view.draw)

    def drawing(self) -> bool:
        """A draw is scheduled, running or waiting: the pictures are not the controls' yet."""
        return self._draw_pending or self._drawer.busy or self._loader.busy

    def _show_drawn(self, drawn) -> None:
        if drawn is None or drawn.run is not self.view.run:
            return  # drawn with a model replaced since
        self.view.set_trajectory(drawn)
        seconds = drawn.trajectory.seconds[-1]
        self.status.setText(f"Drew {self.view.n} sprites in {drawn.steps} steps ({drawn.schedule}) and "
                            f"{drawn.corrector} corrector passes, seed {drawn.seed}, in {seconds:.2f} s."
                            if self.view.current else "Drawing …")

    def _show_step(self) -> None:
        view = self.view
        if view.drawn is None:
            return
        self.frame_view.set_image(view.frame_rgb(), auto_range=False)
        self.order_view.set_image(view.order_rgb(), auto_range=False)
        self.confidence_view.set_image(view.confidence_rgb(), auto_range=False)
        self.step_label.setText(view.describe_step())

    def play(self, on: bool = True) -> None:
        """Run the timeline from frame 0 to K (about PLAY_SECONDS), or stop it."""
        if on and self.view.drawn is not None:
            if self.view.step >= self.view.last_step:
                self.view.set_step(0)
            self._play_timer.start(max(30, round(1000 * PLAY_SECONDS / max(self.view.last_step, 1))))
        else:
            self._play_timer.stop()
            with signals_blocked(self.play_button):
                self.play_button.setChecked(False)

    def _play_step(self) -> None:
        self.view.set_step(self.view.step + 1)
        if self.view.step >= self.view.last_step:
            self.play(False)


def _caption(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("color: gray")
    return label


def _column(*items) -> QWidget:
    column = QWidget()
    layout = QVBoxLayout(column)
    layout.setContentsMargins(0, 0, 0, 0)
    for item in items:
        if isinstance(item, QWidget):
            layout.addWidget(item, 1 if isinstance(item, PixelImageView) else 0)
        else:
            layout.addLayout(item)
    return column
