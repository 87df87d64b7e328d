"""The training monitor's state, Qt-free: what a training view shows, and when it changes.

    monitor = TrainingMonitor("gan", warnings=[WarningRule("val/diversity_ratio", below=0.35)])
    monitor.phase_changed.connect(update_buttons)       # psygnal signals, plain callbacks
    monitor.launched(run_path)                           # then, as the engine reports:
    monitor.started(info); monitor.add_record(record); monitor.on_progress(progress)
    monitor.finished(summary)                            # or failed(message)

    monitor.follow("runs/gan-...")                       # a run another process writes
    monitor.poll()                                       # reads what it wrote since

The view feeds the engine's events in (on its own thread) and draws from ``history``,
``progress``, ``warnings``, ``samples`` and ``phase``; every decision — which phase allows
what, the smoothed ETA, the warnings, whether a run may be resumed — is made here.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from psygnal import Signal

from studio.train.devices import device_words
from studio.train.run import RECORD_FIELDS, MetricsFollower, RunDir, RunLock
from studio.train.trained import run_config

PHASES = ("idle", "running", "paused", "stopping", "following")
LIVE_SECONDS = 30  # an opened run written to more recently than this may still be training elsewhere
ETA_SMOOTHING = 0.15  # weight of the newest speed in the running average the ETA divides by
STOPPING_TEXT = "Stopping — saving a checkpoint…"


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


@dataclass
class ProgressState:
    """What the progress row shows: where the run is, how fast it goes, when it ends."""

    step: int = 0
    total: int = 0
    steps_per_second: float = 0.0
    sprites_per_second: float = 0.0
    eta_seconds: float = math.inf
    status: str = "idle"  # preparing…, training, paused, Stopping — …, finished, stopped, failed
    cpu_seconds: float = 0.0  # the run's training CPU time so far
    cpu_budget: float | None = None  # the CPU-seconds it may use, if it has a budget
    # Whichever limit ends the run first, as far as its speed so far tells: "steps" (its
    # epochs or max_steps) or "cpu" (its CPU budget). Progress and ETA follow that one.
    limit: str = "steps"

    @property
    def fraction(self) -> float:
        """How far the run is towards the limit that ends it, 0..1."""
        if self.limit == "cpu" and self.cpu_budget:
            return min(1.0, self.cpu_seconds / self.cpu_budget)
        return min(1.0, self.step / self.total) if self.total else 0.0

    def left_text(self) -> str:
        """What is left, in the words of the limit that ends the run: "≈ 7.5 CPU-min left · ETA 9:02"."""
        eta = f"ETA {format_seconds(self.eta_seconds)}"
        if self.limit == "cpu" and self.cpu_budget:
            minutes = max(0.0, self.cpu_budget - self.cpu_seconds) / 60
            return f"≈ {minutes:.1f} CPU-min left · {eta}"
        return eta


class MetricHistory:
    """Per-key (step, value) series in growing numpy buffers (O(1) amortised appends)."""

    def __init__(self):
        self.clear()

    def clear(self) -> None:
        self._steps: dict[str, np.ndarray] = {}
        self._values: dict[str, np.ndarray] = {}
        self._count: dict[str, int] = {}
        self.latest: dict[str, float] = {}
        self.last_record: dict = {}
        self.version = 0  # bumped by every append: lets a plot know it is stale

    def append(self, record: dict) -> None:
        step = record.get("step", 0)
        for key, value in record.items():
            if key in RECORD_FIELDS or not isinstance(value, (int, float)):
                continue
            n = self._count.get(key, 0)
            if n == len(self._steps.get(key, ())):  # full: double the buffers
                grow = max(256, 2 * n)
                self._steps[key] = np.resize(self._steps.get(key, np.zeros(0)), grow)
                self._values[key] = np.resize(self._values.get(key, np.zeros(0)), grow)
            self._steps[key][n], self._values[key][n] = step, value
            self._count[key] = n + 1
            self.latest[key] = float(value)
        self.last_record = record
        self.version += 1

    def series(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        n = self._count.get(key, 0)
        if not n:
            return np.zeros(0), np.zeros(0)
        return self._steps[key][:n], self._values[key][:n]


def metrics_of(record: dict) -> dict:
    """A logged record's metrics: its keys but the bookkeeping ones (step, epoch, time, cpu)."""
    return {k: v for k, v in record.items() if k not in RECORD_FIELDS}


def remaining_steps(step: int, total: int, cpu_seconds: float, cpu_budget: float | None,
                    cpu_per_step: float) -> tuple[float, str]:
    """(steps left, the limit that ends the run: "steps" or "cpu"): the budget ends it first
    when what it has left pays for fewer steps than the run has left."""
    left = max(0, total - step)
    if cpu_budget and cpu_per_step > 0:
        affordable = max(0.0, cpu_budget - cpu_seconds) / cpu_per_step
        if affordable < left:
            return affordable, "cpu"
    return left, "steps"


def format_seconds(seconds: float) -> str:
    """1:05 or 2:03:07; "—" for an unknown (infinite) time."""
    if not math.isfinite(seconds):
        return "—"
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    return f"{h}:{rem // 60:02d}:{rem % 60:02d}" if h else f"{rem // 60}:{rem % 60:02d}"


class SmoothedRate:
    """An exponential moving average of steps per second: an ETA that does not jump with
    every noisy window (a neighbour's burst of work, an evaluation, a checkpoint)."""

    def __init__(self, weight: float = ETA_SMOOTHING):
        self.weight, self.value = weight, 0.0

    def update(self, rate: float) -> float:
        if rate > 0 and math.isfinite(rate):
            self.value = rate if self.value <= 0 else self.weight * rate + (1 - self.weight) * self.value
        return self.value

    def reset(self) -> None:
        self.value = 0.0


class TrainingMonitor:
    #: the new phase (one of PHASES)
    phase_changed = Signal(str)
    #: a record was added to ``history`` (live or read from a followed run)
    record_added = Signal(dict)
    #: (step, RGB grid [h, w, 3]): the newest sample grid
    samples_changed = Signal(int, object)
    #: the new ProgressState
    progress_changed = Signal(object)
    #: the warning lines now active ([] when none)
    warnings_changed = Signal(list)
    #: a message for the user ("" clears it)
    error_changed = Signal(str)
    #: the history was cleared (a new run, or a reload)
    cleared = Signal()
    #: a run in this process began training: the engine's start info {run, step, total, device, ...}
    run_started = Signal(dict)
    #: a run in this process ended: the engine's summary {status, step, total, checkpoint, run, metrics}
    run_finished = Signal(dict)
    #: a run in this process failed: the message for the user
    run_failed = Signal(str)

    def __init__(self, model: str, warnings=()):
        self.model = model
        self.rules = list(warnings)
        self.history = MetricHistory()
        self.phase = "idle"
        self.run_path: Path | None = None
        self.resumable: Path | None = None  # a stopped / opened run with a checkpoint
        self.device = ""
        self.progress = ProgressState()
        self.warnings: list[str] = []
        self._notices: list[str] = []
        self.samples: tuple[int, np.ndarray] | None = None
        self.error = ""
        self._rate = SmoothedRate()
        self._cpu_per_step = SmoothedRate()
        self._last_cpu: tuple[int, float] | None = None  # (step, cpu seconds) of the last report
        self._batch_size = 1
        self._follower: MetricsFollower | None = None
        self._writer_seen = False  # the followed run's writer held its lock while we followed it
        self._writer_released = False  # ... and has let go of it since
        self._final_seen = False  # the run's last record (its last step) arrived while we followed it
        self._read_once = False  # what the run held when it was opened has been read
        self._run_ended = False  # the writer let go, or wrote the last record and holds no lock
        self._refused_live = False  # the error shown says the run may still be training elsewhere
        self._timeline: deque = deque(maxlen=10)  # (step, training seconds, CPU seconds) of recent records
        self._shown_sample: Path | None = None

    # --- phases ------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """Training in this process (running, paused or stopping)."""
        return self.phase in ("running", "paused", "stopping")

    def can(self, action: str) -> bool:
        """Whether ``action`` (train, pause, resume, stop, open) is possible in this phase."""
        return {"train": not self.busy, "pause": self.phase == "running",
                "resume": self.phase == "paused" or (self.phase in ("idle", "following")
                                                     and self.resumable is not None
                                                     and not (self.phase == "following" and self.writer_active)),
                "stop": self.phase in ("running", "paused"), "open": not self.busy}[action]

    def _set_phase(self, phase: str) -> None:
        assert phase in PHASES, phase
        self.phase = phase
        self.phase_changed.emit(phase)

    def _set_progress(self, **fields) -> None:
        for key, value in fields.items():
            setattr(self.progress, key, value)
        self.progress_changed.emit(self.progress)

    def set_error(self, message: str) -> None:
        self.error = message
        self.error_changed.emit(message)

    # --- a run trained in this process ------------------------------------------------------------
    def launched(self, run_path: str | Path, clear: bool = True, total: int = 0) -> None:
        """A worker is about to build the trainer for ``run_path``."""
        self.stop_following()
        if clear:
            self.clear()
        self.set_error("")
        self.run_path, self.resumable = Path(run_path), None
        self._rate.reset()
        self._cpu_per_step.reset()
        self._last_cpu = None
        self._set_phase("running")
        self._set_progress(step=0, total=total, steps_per_second=0.0, sprites_per_second=0.0,
                           eta_seconds=math.inf, status="preparing…", limit="steps")

    def started(self, info: dict) -> None:
        """The trainer is built: {run, step, total, batch_size, device, ...}."""
        self.device = info.get("device", "")
        self._batch_size = info.get("batch_size", 1)
        self._last_cpu = (info["step"], info.get("cpu_seconds", 0.0))
        self._set_progress(step=info["step"], total=info["total"], status="training",
                           cpu_seconds=info.get("cpu_seconds", 0.0), cpu_budget=info.get("cpu_budget"))
        # What the engine said on the way in (a resume that fell back to an older checkpoint,
        # a taken-over lock) stays on show above the rules' warnings.
        self._notices = list(info.get("notices", []))
        self._set_warnings(self._notices)
        self.run_started.emit(info)

    def on_progress(self, progress) -> None:
        """An engine Progress: the ETA divides what is left by the smoothed speed; what is left
        is the steps, or the steps the CPU budget still pays for if that is fewer."""
        rate = self._rate.update(progress.steps_per_second)
        if self._last_cpu is not None and progress.step > self._last_cpu[0]:
            self._cpu_per_step.update((progress.cpu_seconds - self._last_cpu[1]) / (progress.step - self._last_cpu[0]))
        self._last_cpu = (progress.step, progress.cpu_seconds)
        steps_left, limit = remaining_steps(progress.step, progress.total, progress.cpu_seconds,
                                            progress.cpu_budget, self._cpu_per_step.value)
        self._set_progress(step=progress.step, total=progress.total, steps_per_second=rate,
                           sprites_per_second=rate * self._batch_size,
                           eta_seconds=steps_left / rate if rate > 0 else math.inf,
                           cpu_seconds=progress.cpu_seconds, cpu_budget=progress.cpu_budget, limit=limit)

    def set_samples(self, step: int, grid: np.ndarray) -> None:
        self.samples = (step, grid)
        self.samples_changed.emit(step, grid)

    def pause(self) -> None:
        if self.can("pause"):
            self._set_phase("paused")
            self._set_progress(status="paused")

    def resume(self) -> None:
        if self.phase == "paused":
            self._set_phase("running")
            self._set_progress(status="training")

    def stopping(self) -> None:
        if self.can("stop"):
            self._set_phase("stopping")
            self._set_progress(status=STOPPING_TEXT)

    def finished(self, summary: dict) -> None:
        status = summary.get("status", "finished")
        if summary.get("checkpoint") and status != "finished":
            self.resumable = Path(summary["run"])
        self._set_phase("idle")
        self._set_progress(step=summary.get("step", self.progress.step), status=status,
                           steps_per_second=0.0, sprites_per_second=0.0, eta_seconds=0.0)
        self.run_finished.emit(summary)

    def failed(self, message: str) -> None:
        if self.run_path is not None and RunDir(self.run_path).latest_checkpoint() is not None:
            self.resumable = self.run_path
        self.set_error(f"Training failed: {message}")
        self._set_phase("idle")
        self._set_progress(status="failed", steps_per_second=0.0, sprites_per_second=0.0)
        self.run_failed.emit(message)

    # --- records ----------------------------------------------------------------------------------
    def clear(self) -> None:
        self.history.clear()
        self._timeline.clear()
        self.samples, self._shown_sample = None, None
        self._set_warnings([])
        self.cleared.emit()

    def add_record(self, record: dict) -> None:
        self.history.append(record)
        if self.busy and record.get("step", 0) > self.progress.step:  # one step count everywhere
            self._set_progress(step=record["step"])
        if "time" in record and not any(k.startswith("val/") for k in record):
            self._timeline.append((record.get("step", 0), record["time"], record.get("cpu", 0.0)))
        latest = self.history.latest
        self._set_warnings(self._notices + [
            f"⚠  {rule.message or rule.key} ({rule.key} = {latest[rule.key]:.3g})"
            for rule in self.rules if rule.key in latest and rule.triggered(latest[rule.key])])
        self.record_added.emit(record)

    def _set_warnings(self, lines: list[str]) -> None:
        if lines != self.warnings:
            self.warnings = lines
            self.warnings_changed.emit(lines)

    # --- following a run folder ---------------------------------------------------------------------
    def follow(self, path: str | Path) -> dict:
        """Show a run folder and follow it while another process writes it; its config.json.
        A RunError (naming the file) if it is not a run; nothing changes then."""
        saved = run_config(path)
        run = RunDir(path)
        self.stop_following()
        self.clear()
        self.set_error("")
        self.run_path = run.path
        self._writer_seen = self._writer_released = self._final_seen = self._run_ended = False
        self._read_once = False
        self.resumable = run.path if run.latest_checkpoint() is not None and not _read_only(run) else None
        train, data = saved.get("train", {}), saved.get("data", {})
        steps_per_epoch = max(1, data.get("train", 1) // max(1, train.get("batch_size", 1)))
        total = train.get("epochs", 1) * steps_per_epoch
        if train.get("max_steps"):
            total = min(total, train["max_steps"])
        self._batch_size = train.get("batch_size", 1)
        self.device = device_words(saved.get("device"))
        self._follower = MetricsFollower(run.metrics_path)
        self._set_phase("following")
        self._set_progress(step=0, total=total, steps_per_second=0.0, sprites_per_second=0.0,
                           eta_seconds=math.inf, status="following" if self.live else "opened",
                           cpu_seconds=0.0, cpu_budget=train.get("cpu_budget"), limit="steps")
        self.poll()
        return saved

    @property
    def writer_active(self) -> bool:
        """Another process holds the shown run's writer lock: it is training it now."""
        return self.run_path is not None and not self.busy and RunLock(self.run_path).held_elsewhere()

    @property
    def live(self) -> bool:
        """The shown run may be being written by another process: its writer holds the lock, or
        (where the OS cannot tell, or the writer just let go) it wrote in the last LIVE_SECONDS —
        unless, while following it, we saw its writer let go or its last record arrive."""
        if self.writer_active:
            return True
        if self._run_ended and self.phase == "following":  # we saw it end: no guessing from the clock
            return False
        return self.run_path is not None and not self.busy and seconds_since_written(RunDir(self.run_path)) < LIVE_SECONDS

    @property
    def following(self) -> bool:
        return self._follower is not None

    def stop_following(self) -> None:
        self._follower = None
        if self.phase == "following":
            self._set_phase("idle")

    def poll(self) -> None:
        """Read what the followed run wrote since the last poll (records, a new sample grid)."""
        if self._follower is None:
            return
        records = self._follower.poll()
        for record in records:
            self.add_record(record)
        # Only a last record that comes in while we watch ends the run: one read on opening may
        # be a moment old, its writer still saving the last checkpoint where no lock tells.
        self._final_seen |= self._read_once and self._last_record_in(records)
        self._read_once = True
        writing = self.writer_active
        self._writer_seen |= writing
        self._writer_released |= self._writer_seen and not writing
        ended = self._writer_released or (self._final_seen and not writing)
        if ended and not self._run_ended:
            self._run_ended = True
            if self._timeline:
                self._show_followed_progress()
            else:
                self._set_progress(status="stopped", steps_per_second=0.0, sprites_per_second=0.0)
            self.phase_changed.emit(self.phase)  # Resume may be possible now
        elif records:
            self._show_followed_progress()
        if self._refused_live and not self.live:  # "it may still be training" no longer holds
            self._refused_live = False
            self.set_error("")
        grids = RunDir(self.run_path).sample_grids()
        if grids and grids[-1] != self._shown_sample:
            try:
                from PIL import Image

                with Image.open(grids[-1]) as image:
                    rgb = np.asarray(image.convert("RGB"))
            except OSError:
                return  # still being written: next poll
            self._shown_sample = grids[-1]
            self.set_samples(int(grids[-1].stem.split("_")[-1]), rgb)

    def _last_record_in(self, records: list[dict]) -> bool:
        total = self.progress.total
        return bool(total) and any(r.get("step", 0) >= total for r in records)

    def _show_followed_progress(self) -> None:
        if not self._timeline:
            return
        (first, start, cpu_start), (step, now, cpu) = self._timeline[0], self._timeline[-1]
        step, total = int(step), self.progress.total
        rate = (step - first) / (now - start) if now > start else 0.0
        cpu_per_step = (cpu - cpu_start) / (step - first) if step > first else 0.0
        steps_left, limit = remaining_steps(step, total, cpu, self.progress.cpu_budget, cpu_per_step)
        done = steps_left <= 0 or step >= total
        live = self.live
        status = "finished" if done else "following" if live else "stopped"
        if not live:  # a rate and ETA would describe a past session
            rate = 0.0
        self._set_progress(step=step, steps_per_second=rate, sprites_per_second=rate * self._batch_size,
                           eta_seconds=0.0 if done else steps_left / rate if rate > 0 else math.inf,
                           status=status, cpu_seconds=cpu, limit=limit)

    # --- resuming -------------------------------------------------------------------------------------
    def resume_problem(self) -> str | None:
        """Why the resumable run cannot be continued here now (None: it can)."""
        if self.resumable is None:
            return "There is no stopped run with a checkpoint to resume."
        if self.phase == "following" and self.live:
            self._refused_live = True
            return (f"{self.resumable} is being written by another process (`studio train`?). "
                    f"Stop that one first, then Resume here.")
        return None

    def reload_until_checkpoint(self) -> None:
        """A followed run is resumed from its checkpoint: keep only the records before it."""
        run = RunDir(self.resumable)
        checkpoint = run.latest_checkpoint()
        last = int(checkpoint.stem.split("_")[-1]) if checkpoint is not None else 0
        samples = self.samples  # the grid stays on show until the resumed run draws a new one
        self.stop_following()
        self.clear()
        for record in run.metrics():
            if record.get("step", 0) <= last:
                self.add_record(record)
        if samples is not None:
            self.set_samples(*samples)


def seconds_since_written(run: RunDir) -> float:
    """Seconds since the run's metrics or checkpoints last changed (inf if never)."""
    paths = [run.metrics_path, *run.step_checkpoints()]
    stamps = [p.stat().st_mtime for p in paths if p.exists()]
    return time.time() - max(stamps) if stamps else float("inf")


def _read_only(run: RunDir) -> bool:
    """A run the studio must not write to (a shipped pretrained model, a read-only folder)."""
    from studio.session.pretrained import is_pretrained

    return is_pretrained(run.path) or not _writable(run.checkpoints_dir)


def _writable(folder: Path) -> bool:
    import os

    return folder.is_dir() and os.access(folder, os.W_OK)
