"""The Toy GAN workspace: the lecture's 1-D demo, live.

Top plot: the real data's histogram (grey) and the generator's density (blue). Bottom plot:
the discriminator's D(x), the probability it gives that x is real. Press Play and watch D's
curve rise where data outweighs G's samples, and G's density climb that slope onto the data.

Training runs on a worker thread, a chunk of "steps per update" steps at a time (a chunk
takes tens of milliseconds on a busy CPU, more than a frame); each result is drawn, then the
next chunk starts while playing. The GUI thread only draws.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QStyle, QVBoxLayout,
                               QWidget)

from studio.gui.context import StudioContext
from studio.gui.workspaces import TrainsNothing
from studio.gui.workers import run_in_thread
from studio.session.toygan import MIXTURES, ToyGan, ToySnapshot

INTRO = ("<h3 style='margin:0'>Toy GAN (1-D)</h3>"
         "<p style='color:gray'>The lecture's picture of the game. The generator G turns noise into "
         "numbers; the discriminator D scores how likely a number is real. D rises where real data "
         "outweighs G's samples, and G moves its mass up D's slope, until D says ½ everywhere.</p>")


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
        self.mixture_box = QComboBox()
        self.mixture_box.addItems(list(MIXTURES))
        self.mixture_box.setToolTip("The real data's distribution")
        # Icons from the style, not ▶/⏸ characters: many fonts lack ⏸ and draw a box.
        self.play_button = QPushButton(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "Play")
        self.step_button = QPushButton("Step")
        self.step_button.setToolTip("Train one update's worth of steps")
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("New random networks (keeps the data)")
        self.speed_box = QSpinBox()
        self.speed_box.setRange(1, 200)
        self.speed_box.setValue(20)
        self.speed_box.setToolTip("Training steps between two redraws: higher trains faster, moves choppier")
        self.status_label = QLabel()
        bar = QHBoxLayout()
        for widget in (QLabel("Data:"), self.mixture_box, self.play_button, self.step_button,
                       self.reset_button, QLabel("Steps per update:"), self.speed_box):
            bar.addWidget(widget)
        bar.addSpacing(16)
        bar.addWidget(self.status_label, 1)

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

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(bar)
        layout.addWidget(self.plots, 1)

        self.play_button.clicked.connect(self.toggle_play)
        self.step_button.clicked.connect(lambda: self.advance())
        self.reset_button.clicked.connect(self.reset)
        self.mixture_box.currentTextChanged.connect(lambda _: self.reset())
        self.reset()

    # --- controls ----------------------------------------------------------------------------
    def reset(self) -> None:
        """New networks on the chosen data, shown at step 0; a chunk in flight is dropped."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self.toy = ToyGan(self.mixture_box.currentText(), seed=self._next_seed)
        self._next_seed += 1
        self._show(self.toy.snapshot())
        if self.playing:
            self.advance()

    def toggle_play(self) -> None:
        self.set_playing(not self.playing)

    def set_playing(self, playing: bool) -> None:
        self.playing = playing
        pixmap = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(pixmap))
        self.play_button.setText("Pause" if playing else "Play")
        self.step_button.setEnabled(not playing)
        if playing and self._task is None:
            self.advance()

    def advance(self, steps: int | None = None) -> None:
        """Train ``steps`` (default: steps per update) on the worker thread, then draw."""
        if self._task is not None:  # one chunk at a time: the networks are not shared
            return
        toy, steps = self.toy, steps or self.speed_box.value()
        self._task = run_in_thread(lambda: toy.step(steps), on_done=self._chunk_done,
                                   on_error=self._chunk_failed, name="toy GAN", owner=self)

    def busy(self) -> bool:
        return self._task is not None

    # --- results, on the GUI thread -----------------------------------------------------------
    def _chunk_done(self, snapshot: ToySnapshot) -> None:
        self._task = None
        self._show(snapshot)
        if self.playing:
            self.advance()

    def _chunk_failed(self, error: BaseException) -> None:
        self._task = None
        self.set_playing(False)
        self.context.show_message(f"Toy GAN failed: {error}", 0)

    def _show(self, snapshot: ToySnapshot) -> None:
        self.snapshot = snapshot
        self.data_bars.setData(snapshot.bin_edges, snapshot.data_density)
        self.gen_curve.setData(snapshot.grid, snapshot.generator_density)
        self.d_curve.setData(snapshot.grid, snapshot.discriminator)
        self.status_label.setText(f"step {snapshot.step} · G's distance to the data "
                                  f"(earth mover's): {snapshot.distance:.3f}")
        self.snapshotShown.emit(snapshot)


    def shutdown(self) -> bool:
        self.set_playing(False)
        return True
