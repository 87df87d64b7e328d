"""The Real or fake? workspace: the lecture's "which one is machine-generated?", played.

A view over :class:`studio.session.quiz.RealOrFake`: pick a model (a shipped one or a run of
yours), deal a round of sprites — half held-out real, half drawn by the model — mark the ones
you think are fake, reveal. Each card then says whether you were right, and under each fake
sits the training sprite most like it. Your accuracy per model is kept by the session (its
scores file, over launches) and shown beside the classifier's c2st for the same model.

Keys: 1–8 mark a sprite, the arrows move the cursor and Space marks the sprite under it,
Enter reveals, N deals the next round. Dealing draws from the model: a worker's job.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QSpinBox,
                               QVBoxLayout, QWidget)

from studio.errors import describe_error
from studio.gui.context import StudioContext
from studio.gui.widgets import rgb_to_pixmap
from studio.gui.workers import Job, run_in_thread
from studio.gui.workspaces import TrainsNothing
from studio.session.pretrained import model_title, shipped_runs
from studio.session.runs import default_runs_dir, run_folders, summarize

SCALE = 6  # a 20×20 sprite at 120×120 screen pixels
COLUMNS = 4
KEY_MODEL, KEY_SEED = "quiz/model", "quiz/seed"  # QSettings: the model and seed played last
DRAWING_MODELS = ("pixelrnn", "transformer", "diffusion", "vae", "gan")
RIGHT, WRONG, MARKED, CURSOR = "#2e9d4a", "#d1453b", "#e08a00", "#3a7bd5"


def quiz_models(runs_dir: str | Path | None = None) -> list[tuple[str, Path]]:
    """(label, run folder) for the model chooser: the shipped models, then the user's runs that
    have a checkpoint, newest first."""
    models = [(model_title(p), p) for p in shipped_runs()]
    folder = Path(runs_dir) if runs_dir is not None else default_runs_dir()
    mine = [s for s in map(summarize, run_folders(folder)) if s.problem is None and s.model in DRAWING_MODELS]
    mine.sort(key=lambda s: s.date.timestamp() if s.date else 0, reverse=True)
    return models + [(f"{s.name} ({s.model}, your run)", s.path) for s in mine]


def make_quiz(path: Path, seed: int):
    """Open the run and its data and build the quiz (a worker's job: torch and the dataset load)."""
    from studio.session.quiz import RealOrFake
    from studio.session.trained import open_run

    return RealOrFake(open_run(path), seed=seed)


class SpriteCard(QFrame):
    """One sprite of a round: its number, the picture, after the reveal the answer and, under a
    fake, the nearest training sprite. A click marks it."""

    clicked = Signal(int)

    def __init__(self, index: int, parent=None):
        super().__init__(parent)
        self.index = index
        self.setFrameShape(QFrame.Shape.Box)
        self.setLineWidth(3)
        self.number = QLabel(f"<b>{index + 1}</b>")
        self.picture = QLabel()
        self.picture.setFixedSize(20 * SCALE, 20 * SCALE)
        self.verdict = QLabel(" ")
        self.nearest = QLabel()
        self.nearest.setFixedSize(10 * SCALE, 10 * SCALE)
        self.nearest_text = QLabel(" ")
        self.nearest_text.setWordWrap(True)
        for label in (self.number, self.picture, self.verdict, self.nearest, self.nearest_text):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.nearest_text.setMinimumHeight(2 * self.nearest_text.fontMetrics().lineSpacing() + 4)
        layout = QVBoxLayout(self)
        layout.setSpacing(2)
        layout.setContentsMargins(4, 4, 4, 4)
        for label in (self.number, self.picture, self.verdict, self.nearest, self.nearest_text):
            layout.addWidget(label, 0, Qt.AlignmentFlag.AlignHCenter)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.index)

    def set_look(self, colour: str | None, dashed: bool = False) -> None:
        style = "dashed" if dashed else "solid"
        self.setStyleSheet(f"SpriteCard {{ border: 3px {style} {colour}; }}" if colour else
                           "SpriteCard { border: 3px solid transparent; }")


class RealOrFakeWorkspace(TrainsNothing, QWidget):
    #: emitted after a round is shown (its QuizRound) and after a reveal (the Reveal)
    roundShown = Signal(object)
    revealed = Signal(object)

    def __init__(self, context: StudioContext, parent: QWidget | None = None, auto_load: bool = True):
        super().__init__(parent)
        self.context = context
        self.quiz = None  # RealOrFake, once a model is open
        self.cursor = 0
        self._job: Job | None = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        intro = QLabel("<h3 style='margin:0'>Real or fake?</h3><p style='color:gray'>Half of these "
                       "sprites are real Pokémon the model never saw, half the model drew. Mark the "
                       "fakes (click, or keys 1–8; arrows and Space), then reveal (Enter). N deals the "
                       "next round.</p>")
        intro.setWordWrap(True)
        self.model_box = QComboBox()
        self.model_box.setToolTip("The model that draws the fakes: a shipped one or a run of yours")
        self.seed_box = QSpinBox()
        self.seed_box.setRange(0, 999_999)
        self.seed_box.setToolTip("The same seed deals the same rounds, in the same order")
        self.seed_box.setValue(QSettings().value(KEY_SEED, 0, type=int))
        self.refresh_button = QPushButton("↻")
        self.refresh_button.setFixedWidth(32)
        self.refresh_button.setToolTip("Look for new runs in the runs folder")
        self.deal_button = QPushButton("Next round (N)")
        self.reveal_button = QPushButton("Reveal (Enter)")
        self.c2st_button = QPushButton("Compute the classifier's score")
        self.c2st_button.setToolTip("Train the c2st classifier on 256 of the model's samples (tens of seconds)")
        top = QHBoxLayout()
        for widget in (QLabel("Model:"), self.model_box, self.refresh_button, QLabel("Seed:"), self.seed_box,
                       self.deal_button, self.reveal_button, self.c2st_button):
            top.addWidget(widget)
        top.addStretch(1)

        self.cards = [SpriteCard(i) for i in range(8)]
        grid = QGridLayout()
        for card in self.cards:
            grid.addWidget(card, card.index // COLUMNS, card.index % COLUMNS)
            card.clicked.connect(self._on_card_clicked)
        self.round_label = QLabel("Choose a model.")
        self.score_label = QLabel(" ")
        self.score_label.setStyleSheet("font-size: 15px")
        self.history_label = QLabel(" ")
        self.history_label.setStyleSheet("color: gray")
        for label in (self.round_label, self.score_label, self.history_label):
            label.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(top)
        layout.addLayout(grid)
        layout.addWidget(self.round_label)
        layout.addWidget(self.score_label)
        layout.addWidget(self.history_label)
        layout.addStretch(1)

        self.refresh_button.clicked.connect(self.fill_models)
        self.model_box.activated.connect(lambda _: self.open_model())
        self.seed_box.editingFinished.connect(self.open_model)
        self.deal_button.clicked.connect(self.deal)
        self.reveal_button.clicked.connect(self.reveal)
        self.c2st_button.clicked.connect(self.compute_classifier)
        self._update_buttons()
        self._load_when_shown = auto_load  # the model opens (and draws) when the tab is first shown

    def showEvent(self, event) -> None:
        """The first time the tab is shown: list the models and deal against the one played last.
        Not at launch: drawing a round costs seconds of CPU a learner may never ask for."""
        if self._load_when_shown:
            self._load_when_shown = False
            self.fill_models()
            self.open_model()
        super().showEvent(event)

    # --- the model ----------------------------------------------------------------------------
    def fill_models(self) -> None:
        current = self.model_box.currentData() or QSettings().value(KEY_MODEL, "", type=str)
        self.model_box.clear()
        for label, path in quiz_models():
            self.model_box.addItem(label, str(path))
        i = self.model_box.findData(str(current))
        self.model_box.setCurrentIndex(max(i, 0))

    def open_model(self, path: str | Path | None = None) -> Job | None:
        """Start a quiz against the run at ``path`` (default: the chosen one) and deal its first
        round, both on a worker."""
        if path is not None:
            i = self.model_box.findData(str(path))
            if i < 0:
                self.model_box.addItem(Path(path).name, str(path))
                i = self.model_box.count() - 1
            self.model_box.setCurrentIndex(i)
        path = self.model_box.currentData()
        if not path:
            return None
        seed = self.seed_box.value()
        settings = QSettings()
        settings.setValue(KEY_MODEL, path)
        settings.setValue(KEY_SEED, seed)
        self.quiz = None
        if self._job is not None:
            self._job.cancel()  # the newest choice wins
        self._busy(f"Opening {self.model_box.currentText()} …")

        def work():
            quiz = make_quiz(Path(path), seed)
            return quiz, quiz.make_round()

        self._job = run_in_thread(work, self._on_opened, self._on_failed, name="quiz", owner=self)
        return self._job

    def _on_opened(self, result) -> None:
        self.quiz, first = result
        self.quiz.changed.connect(self._on_quiz_changed)
        self._job = None
        self.quiz.show(first)

    def _on_failed(self, error: BaseException) -> None:
        self._job = None
        self.round_label.setText(f"<span style='color:{WRONG}'>{describe_error(error)}</span>")
        self._update_buttons()

    # --- a round ----------------------------------------------------------------------------------
    def deal(self) -> Job | None:
        """Draw the next round on a worker, then show it."""
        if self.quiz is None or self.busy():
            return None
        quiz = self.quiz
        self._busy(f"Drawing round {quiz.number + 1} …")
        self._job = run_in_thread(quiz.make_round, self._on_dealt, self._on_failed, name="quiz round", owner=self)
        return self._job

    def _on_dealt(self, quiz_round) -> None:
        self._job = None
        if self.quiz is not None and quiz_round.seed == self.quiz.seed:
            self.quiz.show(quiz_round)

    def reveal(self):
        if self.quiz is None or self.quiz.round is None or self.quiz.revealed is not None:
            return None
        return self.quiz.reveal()

    def toggle(self, i: int) -> None:
        if self.quiz is not None and self.quiz.round is not None and self.quiz.revealed is None:
            self.cursor = i
            self.quiz.toggle(i)

    def compute_classifier(self) -> Job | None:
        if self.quiz is None or self.busy():
            return None
        quiz = self.quiz
        self._busy("Training the classifier on the model's samples (tens of seconds) …")

        def done(result):
            self._job = None
            if quiz is self.quiz:
                quiz.set_classifier(*result)
            self._update_buttons()
            self._show_round_label()

        self._job = run_in_thread(quiz.compute_c2st, done, self._on_failed, name="c2st", owner=self)
        return self._job

    def busy(self) -> bool:
        return self._job is not None and not self._job.done

    def _busy(self, text: str) -> None:
        self.round_label.setText(text)
        self._update_buttons(busy=True)

    def _on_card_clicked(self, i: int) -> None:
        self.setFocus()
        self.toggle(i)

    # --- keys ------------------------------------------------------------------------------------------
    def keyPressEvent(self, event) -> None:
        key, moves = event.key(), {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1,
                                   Qt.Key.Key_Up: -COLUMNS, Qt.Key.Key_Down: COLUMNS}
        if key in moves and self.quiz is not None and self.quiz.round is not None:
            self.cursor = (self.cursor + moves[key]) % self.quiz.size
            self._draw_cards()
        elif key == Qt.Key.Key_Space:
            self.toggle(self.cursor)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.reveal()
        elif key == Qt.Key.Key_N:
            self.deal()
        elif event.text() and event.text().isdigit() and self.quiz is not None:
            action = self.quiz.press(event.text())
            if action is not None and action[1] < self.quiz.size:
                self.cursor = action[1]
                self._draw_cards()
        else:
            super().keyPressEvent(event)

    # --- drawing ---------------------------------------------------------------------------------
    def _on_quiz_changed(self, what: str) -> None:
        if what == "round":
            self.cursor = 0
            self.setFocus()
        self._draw_cards()
        self._show_round_label()
        self._update_buttons()
        if what == "round":
            self.roundShown.emit(self.quiz.round)
        elif what == "reveal":
            self.revealed.emit(self.quiz.revealed)

    def _draw_cards(self) -> None:
        quiz = self.quiz
        if quiz is None or quiz.round is None:
            return
        colours = quiz.run.palette.colors
        reveal = quiz.revealed
        for card in self.cards:
            i = card.index
            card.setVisible(i < quiz.size)
            if i >= quiz.size:
                continue
            card.picture.setPixmap(rgb_to_pixmap(colours[quiz.round.sprites[i]], SCALE))
            if reveal is None:
                card.verdict.setText("<b style='color:%s'>fake?</b>" % MARKED if quiz.marks[i] else "real?")
                card.nearest.clear()
                card.nearest_text.setText(" ")
                card.set_look(MARKED if quiz.marks[i] else (CURSOR if i == self.cursor else None),
                              dashed=i == self.cursor and not quiz.marks[i])
                continue
            right, fake = bool(reveal.correct[i]), bool(reveal.round.fake[i])
            said = "you said fake" if reveal.marked[i] else "you said real"
            card.verdict.setText(f"<b style='color:{RIGHT if right else WRONG}'>{'FAKE' if fake else 'real'}"
                                 f"</b> · {said}")
            card.set_look(RIGHT if right else WRONG)
            if fake:
                card.nearest.setPixmap(rgb_to_pixmap(colours[reveal.nearest_sprites[i]], SCALE // 2))
                card.nearest_text.setText(f"nearest training sprite: differs in {reveal.distance[i]:.0%} "
                                          "of the creature pixels")
            else:
                card.nearest.clear()
                card.nearest_text.setText("held out: never trained on")

    def _show_round_label(self) -> None:
        quiz = self.quiz
        if quiz is None:
            return
        r, reveal = quiz.round, quiz.revealed
        if r is None:
            text = "No round yet."
        elif reveal is None:
            text = (f"Round {r.number + 1} against {quiz.title}: {int(quiz.marks.sum())} of {quiz.size} "
                    f"marked fake ({quiz.size // 2} are).")
        else:
            text = (f"Round {r.number + 1}: <b>{reveal.accuracy:.0%} right</b> — {reveal.caught} fakes caught, "
                    f"{reveal.fooled} fooled you, {reveal.false_alarms} real sprite{'s' * (reveal.false_alarms != 1)} called fake. "
                    "Press N for the next round.")
        self.round_label.setText(text)
        self.score_label.setText(quiz.comparison())
        history = quiz.score.history
        self.history_label.setText("Your rounds against this model: " + ", ".join(f"{a:.2f}" for a in history[-12:])
                                   if history else " ")

    def _update_buttons(self, busy: bool | None = None) -> None:
        busy = self.busy() if busy is None else busy
        quiz = self.quiz
        playing = quiz is not None and quiz.round is not None and quiz.revealed is None
        self.deal_button.setEnabled(quiz is not None and not busy)
        self.reveal_button.setEnabled(playing and not busy)
        self.c2st_button.setEnabled(quiz is not None and not busy)

    def score_text(self) -> str:
        return self.score_label.text()
