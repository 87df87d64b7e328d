"""The Toy GAN workspace: the lecture's 1-D demo and GAN Lab's 2-D one, live.

1-D: the real data's histogram (grey) and the generator's density (blue) above, the
discriminator's D(x) below. 2-D (the ring, the grid, two moons, or points the user draws): D's
output as a heat map under the data's points and G's (toygan_plane.py). The controls are the
session's knobs (studio.session.toygan): the loss, the two learning rates, the networks' width,
what a step trains (both, D only, G only) and slow motion (one step a frame, slowly).

Training runs on a worker thread, a chunk of "steps per update" steps at a time (a chunk
takes tens of milliseconds on a busy CPU, more than a frame); each result is drawn, then the
next chunk starts while playing. The GUI thread only draws.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QPushButton, QSpinBox,
                               QStackedWidget, QStyle, QVBoxLayout, QWidget)

from studio.gui.context import StudioContext
from studio.gui.toygan_plane import PlaneView
from studio.gui.workspaces import TrainsNothing
from studio.gui.workers import run_in_thread
from studio.session.toygan import D_MEANING, LOSSES, MIXTURES, SHAPES, Drawn, ToyGan, ToySnapshot, default_config

INTRO = ("<h3 style='margin:0'>Toy GAN</h3>"
         "<p style='color:gray'>The lecture's picture of the game. The generator G turns noise into "
         "points; the discriminator D scores how real a point looks. G moves its points up D's slope "
         "until D cannot tell (½ everywhere). In 2-D the background is D: green “real”, purple “fake”, "
         "white “can't tell”; dark green dots are the data, purple ones G's.</p>")
DRAW = "draw your own (2-D)"
WIDTHS = (8, 16, 32, 64, 128)
WHICH_TITLES = {"both": "D then G", "d": "D only", "g": "G only"}
SLOW_MS = 250  # slow motion: one step, then this pause
STEPS_1D, STEPS_2D = 20, 2  # steps per update a data change starts with: ≥ 30 frames/s in 2-D


class ToyGanWorkspace(TrainsNothing, QWidget):
    #: Emitted on the GUI thread after the plots show a new snapshot.
    snapshotShown = Signal(object)

    def __init__(self, context: StudioContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.toy: ToyGan | None = None
        self.playing = False
        self._task = None  # the chunk in flight on the worker thread
        self.snapshot: ToySnapshot | None = None
        self._next_seed = 0  # each reset draws new networks, reproducibly

        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.drawn_points: list[tuple[float, float]] = []
        self.drawing = False  # collecting the user's points (the "draw your own" data)
        self.mixture_box = QComboBox()
        self.mixture_box.addItems(list(MIXTURES))
        self.mixture_box.insertSeparator(len(MIXTURES))
        self.mixture_box.addItems(list(SHAPES) + [DRAW])
        self.mixture_box.setToolTip("The real data's distribution: 1-D mixtures, 2-D shapes, or points you draw")
        self.loss_box = QComboBox()
        for name, text in LOSSES.items():
            self.loss_box.addItem(name)
            self.loss_box.setItemData(self.loss_box.count() - 1, text, Qt.ItemDataRole.ToolTipRole)
        self.loss_box.setCurrentText("non-saturating")
        self.loss_box.setToolTip("What D and G minimise; hover an entry for what it is")
        self.lr_d_box, self.lr_g_box = self._lr_box("D"), self._lr_box("G")
        self.width_box = QComboBox()
        self.width_box.addItem("default", None)
        for width in WIDTHS:
            self.width_box.addItem(str(width), width)
        self.width_box.setToolTip("Units in each of the two hidden layers of both networks (default: 32 in 1-D, "
                                  "64 in 2-D); changing it starts new networks")
        self.which_box = QComboBox()
        for which, title in WHICH_TITLES.items():
            self.which_box.addItem(title, which)
        self.which_box.setToolTip("What a step trains: D then G (the game), D only (G stands still), "
                                  "G only (it climbs the D of the moment)")
        self.slow_check = QCheckBox("Slow motion")
        self.slow_check.setToolTip(f"One step a frame, {SLOW_MS} ms apart")
        self.arrows_check = QCheckBox("Arrows")
        self.arrows_check.setToolTip("2-D: where D's slope pushes each of G's points")
        self.use_drawing_button = QPushButton("Play on my points")
        self.clear_drawing_button = QPushButton("Clear points")
        # Icons from the style, not ▶/⏸ characters: many fonts lack ⏸ and draw a box.
        self.play_button = QPushButton(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "Play")
        self.step_button = QPushButton("Step")
        self.step_button.setToolTip("Train one update's worth of steps")
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("New random networks (keeps the data)")
        self.speed_box = QSpinBox()
        self.speed_box.setRange(1, 200)
        self.speed_box.setValue(STEPS_1D)
        self.speed_box.setToolTip("Training steps between two redraws: higher trains faster, moves choppier")
        self.status_label = QLabel()
        bar = QHBoxLayout()
        for widget in (QLabel("Data:"), self.mixture_box, self.use_drawing_button, self.clear_drawing_button,
                       self.play_button, self.step_button, self.reset_button, QLabel("Steps per update:"),
                       self.speed_box, self.slow_check):
            bar.addWidget(widget)
        bar.addStretch(1)
        knobs = QHBoxLayout()
        for widget in (QLabel("Loss:"), self.loss_box, QLabel("Learning rate D:"), self.lr_d_box,
                       QLabel("G:"), self.lr_g_box, QLabel("Width:"), self.width_box, QLabel("Train:"),
                       self.which_box, self.arrows_check):
            knobs.addWidget(widget)
        knobs.addStretch(1)
        self.status_label.setWordWrap(True)

        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground("w")
        self.density_plot = self.plots.addPlot(title="Data (grey bars) and the generator's density (blue)")
        # The title names the curves (no legend box: it covered the data's peaks).
        self.data_bars = pg.PlotDataItem(stepMode="center", fillLevel=0, brush=(160, 160, 160, 150),
                                         pen=pg.mkPen((120, 120, 120)), name="real data")
        self.gen_curve = pg.PlotDataItem(pen=pg.mkPen("#1f77b4", width=3), name="generator G", antialias=True)
        self.density_plot.addItem(self.data_bars)
        self.density_plot.addItem(self.gen_curve)
        self.density_plot.setLabel("left", "density")
        self.density_plot.getAxis("left").enableAutoSIPrefix(False)
        self.plots.nextRow()
        self.d_plot = self.plots.addPlot(title="Discriminator: D(x) = probability that x is real")
        self.d_curve = pg.PlotDataItem(pen=pg.mkPen("#d62728", width=3), antialias=True)
        self.d_plot.addItem(self.d_curve)
        self.d_plot.addLine(y=0.5, pen=pg.mkPen((150, 150, 150), style=Qt.PenStyle.DashLine))
        self.d_plot.setYRange(0, 1)
        self.d_plot.setLabel("left", "D(x)")
        self.d_plot.setLabel("bottom", "x")
        self.d_plot.setXLink(self.density_plot)
        self.plots.ci.layout.setRowStretchFactor(0, 3)
        self.plots.ci.layout.setRowStretchFactor(1, 2)

        self.plane = PlaneView()
        self.views = QStackedWidget()
        self.views.addWidget(self.plots)
        self.views.addWidget(self.plane)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(bar)
        layout.addLayout(knobs)
        layout.addWidget(self.status_label)
        layout.addWidget(self.views, 1)

        self._pending: dict = {}  # knob changes made while a chunk trains: applied between chunks
        self.play_button.clicked.connect(self.toggle_play)
        self.step_button.clicked.connect(lambda: self.advance())
        self.reset_button.clicked.connect(self.reset)
        self.mixture_box.currentTextChanged.connect(self._on_data_chosen)
        self.width_box.currentIndexChanged.connect(lambda _: self.reset())
        self.loss_box.currentTextChanged.connect(lambda loss: self.tune(loss=loss))
        self.lr_d_box.valueChanged.connect(lambda v: self.tune(lr_d=v))
        self.lr_g_box.valueChanged.connect(lambda v: self.tune(lr_g=v))
        self.arrows_check.toggled.connect(self._on_arrows)
        self.plane.box.pointAdded.connect(self.add_point)
        self.use_drawing_button.clicked.connect(self.play_drawing)
        self.clear_drawing_button.clicked.connect(self.clear_drawing)
        self.reset()

    def _lr_box(self, who: str) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setDecimals(4)
        box.setRange(0.0001, 0.05)
        box.setSingleStep(0.0005)
        box.setValue(0.001)
        box.setToolTip(f"{who}'s Adam learning rate: a larger one for D makes D win early")
        return box

    # --- controls ----------------------------------------------------------------------------
    def data(self):
        """The chosen data: a mixture's or shape's name, or Drawn(the user's points); None while
        drawing with fewer than two points."""
        name = self.mixture_box.currentText()
        if name != DRAW:
            return name
        return None if self.drawing or len(self.drawn_points) < 2 else Drawn(tuple(self.drawn_points))

    def config(self, data):
        """The data's default networks with the knobs' loss, learning rates and width."""
        config = dataclasses.replace(default_config(data), loss=self.loss_box.currentText(),
                                     lr_d=self.lr_d_box.value(), lr_g=self.lr_g_box.value())
        width = self.width_box.currentData()
        return config if width is None else dataclasses.replace(config, hidden=width)

    def reset(self) -> None:
        """New networks on the chosen data, shown at step 0; a chunk in flight is dropped."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._pending.clear()
        data = self.data()
        self.plane.box.drawing = data is None
        if data is None:  # drawing: nothing to play yet
            self.toy = None
            self.set_playing(False)
            self._show_drawing()
            return
        self.toy = ToyGan(data, seed=self._next_seed, config=self.config(data))
        self._next_seed += 1
        self.views.setCurrentWidget(self.plots if self.toy.dim == 1 else self.plane)
        self._show(self.toy.snapshot())
        if self.playing:
            self.advance()

    def _on_data_chosen(self, name: str) -> None:
        was_2d = self.views.currentWidget() is self.plane
        now_2d = name in SHAPES or name == DRAW
        if was_2d != now_2d:  # a 2-D step costs more: keep the frames coming
            self.speed_box.setValue(STEPS_2D if now_2d else STEPS_1D)
        self.drawing = name == DRAW
        self.reset()

    # --- drawing your own data -------------------------------------------------------------------
    def add_point(self, x: float, y: float) -> None:
        """A point of the user's data (drawing mode: a click, or a drag's trail)."""
        if not self.drawing:
            return
        self.drawn_points.append((float(x), float(y)))
        self._show_drawing()

    def clear_drawing(self) -> None:
        self.drawn_points.clear()
        if self.mixture_box.currentText() == DRAW:
            self.drawing = True
            self.reset()

    def play_drawing(self) -> None:
        """Start the game on the drawn points (at least 2)."""
        if self.mixture_box.currentText() == DRAW and len(self.drawn_points) >= 2:
            self.drawing = False
            self.reset()

    def _show_drawing(self) -> None:
        self.views.setCurrentWidget(self.plane)
        self.plane.show_drawing(np.asarray(self.drawn_points).reshape(-1, 2))
        self.snapshot = None
        n = len(self.drawn_points)
        self.status_label.setText(f"Click or drag on the plane to draw the data ({n} point{'s' * (n != 1)}), "
                                  "then press “Play on my points”.")
        self._update_buttons()

    # --- the knobs ---------------------------------------------------------------------------------
    def tune(self, **changes) -> None:
        """A live knob (loss, learning rates): the session's ``tune``, between two chunks."""
        if self.toy is None:
            return
        if self._task is not None:
            self._pending.update(changes)
        else:
            self.toy.tune(**changes)
            self._redraw_status()

    def which(self) -> str:
        return self.which_box.currentData()

    def _on_arrows(self, on: bool) -> None:
        self.plane.show_arrows = on
        if self.snapshot is not None and self.toy is not None and self.toy.dim == 2:
            self._show(self.snapshot)

    def toggle_play(self) -> None:
        self.set_playing(not self.playing)

    def set_playing(self, playing: bool) -> None:
        self.playing = playing
        pixmap = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(pixmap))
        self.play_button.setText("Pause" if playing else "Play")
        self._update_buttons()
        if playing and self._task is None:
            self.advance()

    def _update_buttons(self) -> None:
        ready = self.toy is not None
        drawing = self.mixture_box.currentText() == DRAW
        self.play_button.setEnabled(ready)
        self.step_button.setEnabled(ready and not self.playing)
        self.use_drawing_button.setVisible(drawing)
        self.clear_drawing_button.setVisible(drawing)
        self.use_drawing_button.setEnabled(drawing and not ready and len(self.drawn_points) >= 2)
        self.arrows_check.setEnabled(not ready or self.toy.dim == 2)

    def advance(self, steps: int | None = None) -> None:
        """Train ``steps`` (default: steps per update; 1 in slow motion) on the worker thread,
        then draw."""
        if self._task is not None or self.toy is None:  # one chunk at a time
            return
        if self._pending:
            self.toy.tune(**self._pending)
            self._pending.clear()
        toy, which = self.toy, self.which()
        steps = steps or (1 if self.slow_check.isChecked() else self.speed_box.value())
        self._task = run_in_thread(lambda: toy.step(steps, which), on_done=self._chunk_done,
                                   on_error=self._chunk_failed, name="toy GAN", owner=self)

    def busy(self) -> bool:
        return self._task is not None

    # --- results, on the GUI thread -----------------------------------------------------------
    def _chunk_done(self, snapshot) -> None:
        self._task = None
        if self._pending:
            self.toy.tune(**self._pending)
            self._pending.clear()
        self._show(snapshot)
        if self.playing:
            if self.slow_check.isChecked():
                QTimer.singleShot(SLOW_MS, lambda: self.playing and self.advance())
            else:
                self.advance()

    def _chunk_failed(self, error: BaseException) -> None:
        self._task = None
        self.set_playing(False)
        self.context.show_message(f"Toy GAN failed: {error}", 0)

    def _show(self, snapshot) -> None:
        self.snapshot = snapshot
        if isinstance(snapshot, ToySnapshot):
            self.data_bars.setData(snapshot.bin_edges, snapshot.data_density)
            self.gen_curve.setData(snapshot.grid, snapshot.generator_density)
            self.d_curve.setData(snapshot.grid, snapshot.discriminator)
            self.d_plot.setTitle(f"Discriminator: {D_MEANING[snapshot.loss]}")
            if snapshot.loss == "wasserstein-gp":
                self.d_plot.enableAutoRange(axis="y")
            else:
                self.d_plot.setYRange(0, 1)
        else:
            fixed = None if snapshot.loss == "wasserstein-gp" else (0.0, 1.0)
            self.plane.show_snapshot(snapshot, fixed)
            self.plane.setTitle(f"Background — {D_MEANING[snapshot.loss]}")
        self._redraw_status()
        self._update_buttons()
        self.snapshotShown.emit(snapshot)

    def _redraw_status(self) -> None:
        snap, toy = self.snapshot, self.toy
        if snap is None or toy is None:
            return
        distance = "earth mover's" if toy.dim == 1 else "sliced earth mover's"
        text = (f"step {snap.step} · {toy.config.loss}, lr D {toy.config.lr_d:g}, G {toy.config.lr_g:g}, "
                f"width {toy.config.hidden} · D loss {snap.d_loss:.3f}, G loss {snap.g_loss:.3f} · "
                f"G's distance to the data ({distance}): {snap.distance:.3f}")
        if toy.data_name in ("ring", "grid"):
            from studio.session.toygan import mode_coverage

            shape = SHAPES[toy.data_name]
            modes, near = mode_coverage(snap.fake, shape.centres, shape.spread)
            text += f" · {modes} of {len(shape.centres)} modes covered, {near:.0%} of G's points near one"
        self.status_label.setText(text)


    def shutdown(self) -> bool:
        self.set_playing(False)
        return True
