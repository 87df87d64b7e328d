"""Train quick models: every family's ``quick`` preset on one dataset, one after another.

For a dataset no model fits (a user's own sprites, another palette), one action makes every
workspace usable: the app's *Train quick models* and ``studio train all --data PATH``.

    quick = QuickModels({m: TrainingSession(m) for m in QUICK_ORDER}, cpu_minutes=2)
    quick.checkpoint_written.connect(lambda model, run: ...)   # a view can show it now
    quick.start(dataset)

Each family trains through its own :class:`~studio.session.training.TrainingSession` (in the
app, its Train tab's, so the tab shows the run live), with a checkpoint every epoch so a view
can show the model within seconds of its start; ``checkpoint_written`` says so each time a
newer one is on disk, and views reopen it: completions, sliders and samples improve while the
user plays. The families train in turn, never at once — on a laptop two trainings only wait
for each other.
"""

from __future__ import annotations

from pathlib import Path

from psygnal import Signal

from studio.session.pretrained import SHIPPED, family_title
from studio.session.training import TrainingSession
from studio.train.run import RunDir

#: The order families train in: the canvas's models first (completing is the first thing a
#: learner tries), then the explorers'.
QUICK_ORDER = SHIPPED
QUICK_PRESET = "quick"


class QuickModels:
    """One quick model of each family in ``sessions`` (model → its TrainingSession), in turn."""

    model_started = Signal(str, object)  # model, its run folder
    checkpoint_written = Signal(str, object)  # model, run folder: a newer checkpoint is on disk
    model_ended = Signal(str, str)  # model, how it ended ("stopped at the CPU budget", an error)
    all_done = Signal(list)  # [(model, how it ended)], in order

    def __init__(self, sessions: dict[str, TrainingSession], cpu_minutes: float | None = None):
        self.sessions = {m: sessions[m] for m in QUICK_ORDER if m in sessions}
        self.cpu_minutes = cpu_minutes
        self.queue: list[str] = []
        self.current: str | None = None
        self.results: list[tuple[str, str]] = []
        self._run: Path | None = None
        self._checkpoint: Path | None = None
        self._dataset = None
        for model, session in self.sessions.items():
            session.monitor.run_started.connect(lambda info, m=model: self._started(m, info))
            session.monitor.record_added.connect(lambda record, m=model: self._look_for_checkpoint(m))
            session.monitor.run_finished.connect(lambda summary, m=model: self._ended(m, summary["status"]))
            session.monitor.run_failed.connect(lambda error, m=model: self._ended(m, f"failed: {error}"))

    @property
    def running(self) -> bool:
        return self.current is not None

    def plan(self) -> str:
        """What will train, as a learner reads it."""
        each = f"{self.cpu_minutes:g} CPU-minutes each" if self.cpu_minutes else "each its quick preset's budget"
        return f"{', '.join(family_title(m) for m in self.sessions)}, one after another ({each})"

    def start(self, dataset) -> None:
        """Train every family's quick preset on ``dataset``, one after another. Families whose
        Train tab is busy are left out (their own run goes on)."""
        if self.running:
            raise RuntimeError("quick models are training: stop them first")
        self._dataset = dataset
        self.queue = [m for m, s in self.sessions.items() if not s.busy]
        self.results = []
        self._next()

    def stop(self) -> None:
        """Stop the family training now (keeping its checkpoint) and the ones after it."""
        self.queue = []
        if self.current is not None:
            self.sessions[self.current].stop()

    def _next(self) -> None:
        if not self.queue:
            self.current = None
            self.all_done.emit(list(self.results))
            return
        model = self.current = self.queue.pop(0)
        session = self.sessions[model]
        overrides = {"checkpoint_every": 1}  # a model to show after its first epoch
        if self.cpu_minutes:
            overrides["cpu_budget"] = self.cpu_minutes * 60
        session.train(self._dataset, session.config(QUICK_PRESET), session.settings(QUICK_PRESET, **overrides))

    def _started(self, model: str, info: dict) -> None:
        if model == self.current:
            self._run = Path(info["run"]) if info.get("run") else None
            self._checkpoint = None
            self.model_started.emit(model, self._run)

    def _look_for_checkpoint(self, model: str) -> None:
        if model != self.current or self._run is None:
            return
        latest = RunDir(self._run).latest_checkpoint()
        if latest is not None and latest != self._checkpoint:
            self._checkpoint = latest
            self.checkpoint_written.emit(model, self._run)

    def _ended(self, model: str, how: str) -> None:
        if model != self.current:
            return
        self._look_for_checkpoint(model)  # the last one, written as it stopped
        self.results.append((model, how))
        self.model_ended.emit(model, how)
        self._next()
