"""The completion race's view: the same mask filled in raster order and in confidence order,
replayed side by side at the times each model reached each frame, with a clock per model.

A view over :class:`studio.session.race.CompletionRace`: when its frames arrive, playback
starts (a QTimer at ~30 Hz asks the race for each entrant's frame at the elapsed time), and
each entrant's label counts its seconds until it finishes, then keeps its time. Replay runs it
again; the slow-motion box stretches time (a diffusion fill is over in a tenth of a second).
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from studio.gui.widgets import rgb_to_pixmap
from studio.session.race import CompletionRace

TICK_MS = 30
SCALE = 5  # a 20×20 sprite as 100×100 pixels
#: Slow motion: on a CPU both orders fill a small model's hole in about a tenth of a second.
SPEEDS = {"⅒ speed": 0.1, "¼ speed": 0.25, "½ speed": 0.5, "real time": 1.0}
ORDER_WORDS = {"raster": "raster order, pixel by pixel", "confidence": "confidence order, a few pixels a step",
               "random": "random order, a few pixels a step"}


class RacePanel(QWidget):
    #: the replay reached the end (every entrant finished)
    played = Signal()

    def __init__(self, race: CompletionRace, hint: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.race = race
        self.palette = None
        self.elapsed = 0.0  # race seconds shown now
        self._started = 0.0  # wall clock at the replay's start
        self.hint = QLabel(hint)
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: gray")
        self.sprites = [QLabel(), QLabel()]
        self.titles = [QLabel(), QLabel()]
        self.clocks = [QLabel(), QLabel()]
        self.replay_button = QPushButton("Replay")
        self.replay_button.setEnabled(False)
        self.replay_button.clicked.connect(self.replay)
        self.speed_box = QComboBox()
        self.speed_box.addItems(SPEEDS)
        self.speed_box.setToolTip("Slow motion: the times shown stay the real ones")
        lanes = QGridLayout()
        lanes.setContentsMargins(0, 0, 0, 0)
        for i, (sprite, title, clock) in enumerate(zip(self.sprites, self.titles, self.clocks)):
            sprite.setFixedSize(20 * SCALE, 20 * SCALE)
            sprite.setStyleSheet("background: #2b2b2b")
            title.setWordWrap(True)
            clock.setStyleSheet("font-size: 15px; font-weight: bold")
            lanes.addWidget(sprite, 0, 2 * i, 2, 1)
            lanes.addWidget(title, 0, 2 * i + 1)
            lanes.addWidget(clock, 1, 2 * i + 1)
            lanes.setColumnStretch(2 * i + 1, 1)
        lanes.addWidget(self.replay_button, 0, 4)
        lanes.addWidget(self.speed_box, 1, 4, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.hint)
        layout.addLayout(lanes)
        layout.addStretch(1)
        self.setMinimumHeight(layout.sizeHint().height())  # the canvas above stretches, never the lanes
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        race.changed.connect(self._on_race)

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def _on_race(self, what: str) -> None:
        if what == "entrants":
            self._timer.stop()
            for i, model in enumerate(self.race.entrants[:2]):
                self.titles[i].setText(f"<b>{model.title}</b>")
                self.clocks[i].setText("…")
                self.sprites[i].clear()
            self.replay_button.setEnabled(False)
        elif what == "frames" and self.race.frames:
            for i, frames in enumerate(self.race.frames[:2]):
                self.titles[i].setText(f"<b>{self.race.entrants[i].title}</b><br>{ORDER_WORDS[frames.order]}, "
                                       f"{len(frames.frames) - 1} frames")
            self.replay_button.setEnabled(True)
            self.replay()

    def set_palette(self, palette) -> None:
        self.palette = palette

    def replay(self) -> None:
        """Play the race from its start, at the chosen speed."""
        if self.race.frames and self.palette is not None:
            self._started = time.perf_counter()
            self.show_at(0.0)
            self._timer.start()

    def _tick(self) -> None:
        speed = SPEEDS[self.speed_box.currentText()]
        self.show_at(min((time.perf_counter() - self._started) * speed, self.race.duration))
        if self.elapsed >= self.race.duration:
            self._timer.stop()
            self.played.emit()

    def show_at(self, seconds: float) -> None:
        """Each entrant's frame and clock ``seconds`` into the race."""
        self.elapsed = seconds
        done = self.race.finished(seconds)
        for i, rgb in enumerate(self.race.rgb_at(seconds, self.palette)[:2]):
            self.sprites[i].setPixmap(rgb_to_pixmap(rgb, SCALE))
            total = float(self.race.frames[i].seconds[-1])
            self.clocks[i].setText(f"done in {total:.2f} s" if done[i] else f"{seconds:.2f} s …")
            self.clocks[i].setStyleSheet("font-size: 15px; font-weight: bold" + ("; color: #3a9a3a" if done[i] else ""))
