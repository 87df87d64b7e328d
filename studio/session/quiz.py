"""Real or fake? The lecture's "which one is machine-generated?", played: the learner is the
classifier of the classifier two-sample test (studio/models/scores.py).

    quiz = RealOrFake(TrainedRun.open(run_dir), seed=0)     # any model: shipped or the user's
    quiz.changed.connect(redraw)                             # "round", "marks", "reveal", "score"
    quiz.show(quiz.make_round())                             # make_round draws (seconds): a worker's job
    quiz.toggle(2); quiz.toggle(5)                           # the sprites the user thinks are fake
    reveal = quiz.reveal()                                   # answers, nearest training sprites, saved score
    quiz.score.accuracy, quiz.classifier()                   # "you: 0.81, the classifier: 0.72"

A round shows ``size`` sprites in a shuffled order: half held-out real sprites (never trained on:
real sprites the model could have drawn), half drawn by the model. Everything is deterministic
for a seed: round k of seed s shows the same sprites in the same order (real ones are dealt from
one seeded shuffle of the held-out sprites, so none repeats until all were shown; fake ones
are the model's ``draw(n, seed)`` with a seed made from s and k). The reveal puts beside each
fake its nearest training sprite by the copy check's creature mismatch (scores.creature_mismatch:
the share of creature pixels that differ), so a learner sees whether a convincing fake was a copy.

The user's accuracy per model — the share of sprites they classed right, the same measure as
the c2st's accuracy, on the same balanced sets — is kept over rounds in a small JSON file beside
the runs folder (``default_scores_path``), written atomically. The classifier's c2st for the same
model (``classifier``) is, in order: one computed here on request (``compute_c2st``: the c2st of
``studio score RUN -n N --seed S``, cached in the same file for that checkpoint), else the last
``val/c2st`` the training logged (its ``score_every`` yardstick), else unknown.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from psygnal import Signal

from studio.data.files import write_text
from studio.errors import ConfigError, StudioError
from studio.models.scores import creature_mismatch

ROUND_SIZE = 8  # sprites a round shows: half real, half fake
SCORES_FILE = "real-or-fake.json"
C2ST_SAMPLES = 256  # samples compute_c2st scores (the quick-score size: ~half a minute on one core)
#: The keys a view binds (the quiz is playable without a mouse): digits mark, Enter reveals, N deals.
KEYS = {**{str(i): ("toggle", i - 1) for i in range(1, 10)}, "enter": ("reveal", None), "return": ("reveal", None),
        "space": ("reveal", None), "n": ("next", None)}


def default_scores_path() -> Path:
    """The studio's data folder (…/pokemon-studio, beside its runs folder) / real-or-fake.json."""
    from studio.train.run import default_runs_dir

    return default_runs_dir().parent / SCORES_FILE


@dataclass(frozen=True)
class QuizRound:
    number: int  # 0, 1, … for the quiz's seed
    seed: int
    sprites: np.ndarray  # [n, H, W] colour indices, in the order shown
    fake: np.ndarray  # [n] bool: drawn by the model — the answer, for the reveal only
    source: np.ndarray  # [n] int: each real sprite's index in the dataset, -1 for a fake


@dataclass(frozen=True)
class Reveal:
    round: QuizRound
    marked: np.ndarray  # [n] bool: the sprites the user called fake
    nearest: np.ndarray  # [n] int: for each fake, the dataset index of its nearest training sprite (-1: real)
    nearest_sprites: np.ndarray  # [n, H, W]: that training sprite (a real sprite: itself)
    distance: np.ndarray  # [n] its creature mismatch with the fake, 0 = a copy (nan: real)

    @property
    def correct(self) -> np.ndarray:
        return self.marked == self.round.fake

    @property
    def accuracy(self) -> float:
        return float(self.correct.mean())

    @property
    def caught(self) -> int:
        """Fakes the user marked."""
        return int((self.marked & self.round.fake).sum())

    @property
    def fooled(self) -> int:
        """Fakes the user took for real."""
        return int((~self.marked & self.round.fake).sum())

    @property
    def false_alarms(self) -> int:
        """Real sprites the user called fake."""
        return int((self.marked & ~self.round.fake).sum())


@dataclass
class ModelScore:
    """A user's record against one model, over every round played."""

    title: str
    rounds: int = 0
    correct: int = 0  # sprites classed right
    shown: int = 0
    fakes_caught: int = 0
    fakes: int = 0
    history: list[float] = field(default_factory=list)  # each round's accuracy, oldest first
    c2st: float | None = None  # the classifier's, computed here (compute_c2st)
    c2st_source: str | None = None  # how it was made, in words
    c2st_checkpoint: str | None = None  # the checkpoint it was computed for (checkpoint_stamp)

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.shown if self.shown else None


class QuizScores:
    """The scores file: {model key: ModelScore}, read once, written atomically after each change."""

    VERSION = 1

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else default_scores_path()
        self.models: dict[str, ModelScore] = {}
        if self.path.is_file():
            self.models = self._read()

    def _read(self) -> dict[str, ModelScore]:
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
            if saved.get("version") != self.VERSION:
                raise ValueError(f"version {saved.get('version')!r}, expected {self.VERSION}")
            return {key: ModelScore(**value) for key, value in saved["models"].items()}
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as err:
            raise ConfigError(f"the Real-or-fake scores cannot be read ({str(err).splitlines()[0][:120]})",
                              self.path, hint="delete the file to start the scores over") from None

    def save(self) -> None:
        data = {"version": self.VERSION, "models": {k: asdict(v) for k, v in self.models.items()}}
        write_text(self.path, json.dumps(data, indent=1) + "\n")

    def get(self, key: str, title: str) -> ModelScore:
        score = self.models.setdefault(key, ModelScore(title))
        score.title = title
        return score

    def record(self, key: str, title: str, reveal: Reveal) -> ModelScore:
        score = self.get(key, title)
        score.rounds += 1
        score.correct += int(reveal.correct.sum())
        score.shown += len(reveal.marked)
        score.fakes_caught += reveal.caught
        score.fakes += int(reveal.round.fake.sum())
        score.history.append(round(reveal.accuracy, 4))
        self.save()
        return score


def model_key(path: Path) -> str:
    """A run's key in the scores file: "shipped/SET/MODEL" for a shipped model (the same on
    every install), else the run folder's absolute path."""
    from studio.session.pretrained import shipped_set

    data = shipped_set(path)
    return f"shipped/{data}/{Path(path).name}" if data else str(Path(path).resolve())


def checkpoint_stamp(checkpoint: Path) -> str:
    """Which weights a cached c2st belongs to: the checkpoint's name, size and modification time."""
    stat = checkpoint.stat()
    return f"{checkpoint.name}:{stat.st_size}:{stat.st_mtime_ns}"


class RealOrFake:
    """One quiz against one model (a TrainedRun: anything with a task that draws)."""

    #: what changed: "round" (a new round is shown), "marks", "reveal", "score" (incl. the c2st)
    changed = Signal(str)

    def __init__(self, run, *, seed: int = 0, size: int = ROUND_SIZE, scores: QuizScores | None = None,
                 title: str | None = None):
        from studio.session.pretrained import model_title

        if size < 2 or size % 2:
            raise ValueError(f"a round shows an even number of sprites (half real, half fake), got {size}")
        self.run, self.seed, self.size = run, seed, size
        self.scores = scores if scores is not None else QuizScores()
        self.key, self.title = model_key(run.path), title or model_title(run.path)
        self.sprites = run.dataset()
        self.train_idx, self.held_idx = run.split(self.sprites)
        if len(self.held_idx) < size // 2:
            raise StudioError(f"the run holds out {len(self.held_idx)} sprites, a round needs {size // 2} real ones",
                              run.path, hint="train with more data or a larger held-out share")
        # One seeded deal of the held-out sprites: round k takes the next size/2 of them.
        self._deal = np.random.default_rng([seed, 0xdea1]).permutation(self.held_idx)
        self.number = 0  # the next round's number
        self.round: QuizRound | None = None
        self.marks = np.zeros(size, bool)
        self.revealed: Reveal | None = None

    # --- a round -------------------------------------------------------------------------------
    def make_round(self, number: int | None = None) -> QuizRound:
        """Round ``number`` (default: the next one) for this quiz's seed; draws the fakes (the
        model's sampling: up to seconds), changes nothing, so it may run on a worker thread."""
        number = self.number if number is None else number
        half = self.size // 2
        start = number * half
        real_idx = self._deal[np.arange(start, start + half) % len(self._deal)]
        fakes = np.asarray(self.run.task.draw(half, seed=_round_seed(self.seed, number)))
        sprites = np.concatenate([self.sprites.indices[real_idx], fakes.astype(self.sprites.indices.dtype)])
        fake = np.arange(self.size) >= half
        source = np.concatenate([real_idx, np.full(half, -1)])
        order = np.random.default_rng([self.seed, number]).permutation(self.size)
        return QuizRound(number, self.seed, sprites[order], fake[order], source[order])

    def show(self, quiz_round: QuizRound) -> None:
        """Show ``quiz_round`` (from ``make_round``), no marks yet."""
        self.round, self.revealed = quiz_round, None
        self.marks = np.zeros(self.size, bool)
        self.number = quiz_round.number + 1
        self.changed.emit("round")

    def new_round(self) -> QuizRound:
        """make_round and show, in one call (the CLI's and the tests' way)."""
        quiz_round = self.make_round()
        self.show(quiz_round)
        return quiz_round

    def toggle(self, i: int) -> None:
        self.mark(i, not self.marks[i])

    def mark(self, i: int, fake: bool = True) -> None:
        """Call sprite ``i`` fake (or real again)."""
        if self.round is None or self.revealed is not None:
            raise ValueError("no round to mark: deal a new round first")
        if not 0 <= i < self.size:
            raise ValueError(f"sprite {i + 1} is not in the round (1..{self.size})")
        self.marks[i] = fake
        self.changed.emit("marks")

    def press(self, key: str) -> tuple[str, int | None] | None:
        """A key the view got: marks and reveals here; returns the action (from KEYS) or None.
        "next" is left to the caller, which deals the next round on a worker."""
        action = KEYS.get(key.lower())
        if action is None:
            return None
        if action[0] == "toggle" and self.round is not None and self.revealed is None and action[1] < self.size:
            self.toggle(action[1])
        elif action[0] == "reveal" and self.round is not None and self.revealed is None:
            self.reveal()
        return action

    def reveal(self) -> Reveal:
        """The answers, each fake's nearest training sprite; the round counts in the saved score."""
        if self.round is None:
            raise ValueError("no round to reveal: deal a round first")
        if self.revealed is not None:
            return self.revealed
        r = self.round
        train = self.sprites.indices[self.train_idx]
        nearest = np.full(self.size, -1)
        distance = np.full(self.size, np.nan)
        nearest_sprites = r.sprites.copy()
        if r.fake.any():
            d = creature_mismatch(r.sprites[r.fake], train)
            best = d.argmin(1).numpy()
            nearest[r.fake] = self.train_idx[best]
            distance[r.fake] = d.min(1).values.numpy()
            nearest_sprites[r.fake] = train[best]
        self.revealed = Reveal(r, self.marks.copy(), nearest, nearest_sprites, distance)
        self.scores.record(self.key, self.title, self.revealed)
        self.changed.emit("reveal")
        self.changed.emit("score")
        return self.revealed

    # --- the scores -------------------------------------------------------------------------------
    @property
    def score(self) -> ModelScore:
        return self.scores.get(self.key, self.title)

    def classifier(self) -> tuple[float, str] | None:
        """(the classifier's c2st for this model, where it comes from), or None if unknown:
        computed here for this checkpoint, else the last one the training logged."""
        score = self.score
        if score.c2st is not None and score.c2st_checkpoint == checkpoint_stamp(self.run.checkpoint):
            return score.c2st, score.c2st_source
        logged = [(r["step"], r["val/c2st"]) for r in self.run.run.metrics()
                  if isinstance(r.get("val/c2st"), (int, float)) and math.isfinite(r["val/c2st"])]
        if logged:
            step, value = logged[-1]
            return float(value), f"logged by the training at step {step}"
        return None

    def compute_c2st(self, n: int = C2ST_SAMPLES, seed: int = 0) -> tuple[float, str]:
        """The classifier's c2st on ``n`` of the model's samples against its training sprites:
        the c2st ``studio score RUN -n n --seed seed`` reports. Slow (tens of seconds): a
        worker's job; changes nothing (``set_classifier`` keeps it)."""
        from studio.models.scores import score_samples

        samples = self.run.task.draw(n, seed=seed)
        result = score_samples(samples, self.sprites.indices[self.train_idx], self.sprites.indices[self.held_idx],
                               self.sprites.palette, n=n, seed=seed)
        return result["c2st"], f"computed on {n} samples (studio score -n {n} --seed {seed})"

    def set_classifier(self, c2st: float, source: str) -> None:
        """Keep a computed c2st for this checkpoint (saved), and say so."""
        score = self.score
        score.c2st, score.c2st_source = float(c2st), source
        score.c2st_checkpoint = checkpoint_stamp(self.run.checkpoint)
        self.scores.save()
        self.changed.emit("score")

    def comparison(self) -> str:
        """One line: "you: 0.81 over 5 rounds (40 sprites) · the classifier: 0.72 (…)"."""
        score, known = self.score, self.classifier()
        you = "you: no round yet" if score.accuracy is None else \
            f"you: {score.accuracy:.2f} over {score.rounds} round{'s' * (score.rounds != 1)} ({score.shown} sprites)"
        them = "the classifier: not known yet (compute it)" if known is None else \
            f"the classifier: {known[0]:.2f} ({known[1]})"
        return f"{you} · {them} · 0.5 = cannot tell, 1.0 = always right"


def _round_seed(seed: int, number: int) -> int:
    """The model's sampling seed for round ``number``: distinct per round, fixed per (seed, number)."""
    return int(np.random.default_rng([seed, number, 0xfa4e]).integers(2**31))
