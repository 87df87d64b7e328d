"""The Diffusion workspace's state, Qt-free: a few sprites drawn from fixed seeds in K steps,
every step kept, so a view can scrub through the unmasking and show where and how surely
each pixel was committed.

    view = DiffusionView(n=8, seed=0)
    view.changed.connect(redraw)                       # "run", "sampling", "trajectory", "step"
    view.set_run(open_diffusion(run_dir))              # a diffusion run's TrainedRun
    view.set_sampling(steps=16, schedule="cosine")
    view.set_trajectory(view.draw())                   # draw() is the slow part: on a worker
    view.set_step(5)                                   # the timeline: frame 5 of K
    view.frame_rgb(), view.order_rgb(), view.confidence_rgb()   # the three grids at that step

The same seed draws the same sprites from the same weights, so re-drawing after a new
checkpoint shows the *same* samples, sharper (or not) as training goes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from psygnal import Signal

from studio.data import grid_image
from studio.session.completion import show_hidden
from studio.session.trained import DIFFUSION_MAX_STEPS as MAX_STEPS, DIFFUSION_SCHEDULES as SCHEDULES
from studio.train.run import RunDir
from studio.train.trained import TrainedRun

__all__ = ["MAX_STEPS", "SCHEDULES", "DiffusionView", "checkpoint_stamp", "heat_rgb", "open_diffusion"]

COLUMNS = 4  # sprites per row of the grids
#: Viridis at five stops (matplotlib's, by eye-accurate sampling): dark = early / unsure, yellow = late / sure.
HEAT_STOPS = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], float)


def open_diffusion(path: str | Path, which: str = "best") -> TrainedRun:
    """A diffusion run's checkpoint ``which``, on the CPU; RunError naming the folder otherwise."""
    return TrainedRun.open(path, which, "cpu", model="diffusion")


def checkpoint_stamp(path: str | Path) -> tuple[str, int] | None:
    """(name, mtime in ns) of the checkpoint ``open_diffusion`` would load now, None if the run
    has none: when it changes, training wrote a newer model (cheap: two stats)."""
    run = RunDir(path)
    for candidate in (run.best_checkpoint, run.latest_checkpoint()):
        try:
            return (candidate.name, candidate.stat().st_mtime_ns) if candidate is not None else None
        except OSError:
            continue  # best.pt not written yet, or replaced just now
    return None


def heat_rgb(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] (NaN: none) → RGB uint8 on the viridis scale; NaN pixels come out black
    (the caller draws them as still hidden)."""
    values = np.asarray(values, float)
    v = np.clip(np.nan_to_num(values, nan=0.0), 0, 1) * (len(HEAT_STOPS) - 1)
    low = np.minimum(v.astype(int), len(HEAT_STOPS) - 2)
    t = (v - low)[..., None]
    rgb = HEAT_STOPS[low] * (1 - t) + HEAT_STOPS[low + 1] * t
    return np.where(np.isnan(values)[..., None], 0, rgb).round().astype(np.uint8)


@dataclass(frozen=True)
class Drawn:
    """One draw of the view's sprites: the sampler's Trajectory and what it was drawn with."""

    trajectory: object  # studio.models.diffusion.Trajectory
    run: TrainedRun
    steps: int
    schedule: str
    seed: int
    corrector: int = 0


class DiffusionView:
    #: what changed: "run" (another model), "sampling" (K, the schedule, the corrector or the seed),
    #: "trajectory" (new sprites drawn), "step" (the timeline moved), "cleared" (no model)
    changed = Signal(str)

    def __init__(self, n: int = 8, seed: int = 0, steps: int = 16, schedule: str = "cosine", corrector: int = 0):
        self.n, self.seed, self.steps, self.schedule, self.corrector = n, seed, steps, schedule, corrector
        self.run: TrainedRun | None = None
        self.drawn: Drawn | None = None  # the last draw shown
        self.step = 0  # the timeline: frames 0 (all hidden) .. K (finished)

    # --- what to draw ----------------------------------------------------------------------
    def set_run(self, run: TrainedRun) -> None:
        """Draw with ``run``'s model from now on; K, the schedule and the corrector start at the run's own."""
        if run.model != "diffusion":
            raise ValueError(f"{run.path}: a {run.model} run; this view shows diffusion runs")
        first = self.run is None
        self.run = run
        if first:  # the first model, or the first since a clear()
            config = run.task.config
            self.steps, self.schedule, self.corrector = config.steps, config.schedule, config.corrector
        self.changed.emit("run")

    def clear(self) -> None:
        """No model (none fits the open dataset): nothing drawn until the next ``set_run``,
        which starts again at that run's own K, schedule and corrector."""
        self.run, self.drawn, self.step = None, None, 0
        self.changed.emit("cleared")

    def set_sampling(self, steps: int | None = None, schedule: str | None = None, seed: int | None = None,
                     corrector: int | None = None) -> None:
        steps = self.steps if steps is None else int(steps)
        schedule = schedule or self.schedule
        corrector = self.corrector if corrector is None else int(corrector)
        if not 1 <= steps <= MAX_STEPS:
            raise ValueError(f"K must be in 1..{MAX_STEPS}, got {steps}")
        if schedule not in SCHEDULES:
            raise ValueError(f"no schedule {schedule!r}; there are {', '.join(SCHEDULES)}")
        if not 0 <= corrector <= MAX_STEPS:
            raise ValueError(f"corrector passes must be in 0..{MAX_STEPS}, got {corrector}")
        new = (steps, schedule, self.seed if seed is None else int(seed), corrector)
        if new != (self.steps, self.schedule, self.seed, self.corrector):
            self.steps, self.schedule, self.seed, self.corrector = new
            self.changed.emit("sampling")

    def draw(self) -> Drawn | None:
        """The view's ``n`` sprites drawn now with every step kept (seconds at K = 400: call it
        off the GUI thread); None without a run. It reads the settings once, so a draw started
        before the user moved a control is simply an older one."""
        run, steps, schedule, seed, corrector = self.run, self.steps, self.schedule, self.seed, self.corrector
        if run is None:
            return None
        blank, everything = np.zeros(run.task.size, np.uint8), np.ones(run.task.size, bool)
        trajectory = run.task.trajectory(blank, everything, self.n, seed=seed, steps=steps, schedule=schedule,
                                         corrector=corrector)
        return Drawn(trajectory, run, steps, schedule, seed, corrector)

    def set_trajectory(self, drawn: Drawn) -> None:
        """Show ``drawn``; the timeline goes to its last frame (the finished sprites)."""
        self.drawn = drawn
        self.step = drawn.trajectory.steps
        self.changed.emit("trajectory")

    @property
    def current(self) -> bool:
        """The shown draw is of the current run and settings (no re-draw is due)."""
        d = self.drawn
        return d is not None and d.run is self.run and (d.steps, d.schedule, d.seed, d.corrector) == (
            self.steps, self.schedule, self.seed, self.corrector)

    # --- the timeline ------------------------------------------------------------------------
    @property
    def last_step(self) -> int:
        """K + R of the shown draw: its steps and corrector passes (0 before one)."""
        return self.drawn.trajectory.steps if self.drawn is not None else 0

    def set_step(self, step: int) -> None:
        step = min(max(int(step), 0), self.last_step)
        if step != self.step:
            self.step = step
            self.changed.emit("step")

    def hidden(self, step: int | None = None) -> np.ndarray:
        """[n, H, W] bool: the pixels still hidden after ``step`` (default: the timeline's)."""
        return self.drawn.trajectory.committed_at > (self.step if step is None else step)

    def committed(self, step: int | None = None) -> int:
        """Pixels of one sprite committed at exactly ``step`` (the same in every sprite)."""
        at = self.drawn.trajectory.committed_at[0]
        return int((at == (self.step if step is None else step)).sum())

    def seconds(self, step: int | None = None) -> float:
        """Wall seconds from the start of the draw to the end of ``step``."""
        return float(self.drawn.trajectory.seconds[self.step if step is None else step])

    # --- the three pictures at the timeline's step, as heat values and as RGB grids -------------
    def order(self) -> np.ndarray:
        """[n, H, W] when each pixel was first committed, 0 (first step) .. 1 (step K); NaN while still hidden."""
        t = self.drawn.trajectory
        values = (t.committed_at - 1) / max(t.draw_steps - 1, 1)
        return np.where(self.hidden(), np.nan, values)

    def confidence(self) -> np.ndarray:
        """[n, H, W] p_θ(the colour it has) when last drawn; NaN while still hidden."""
        return np.where(self.hidden(), np.nan, self.drawn.trajectory.confidence)

    def frame_rgb(self) -> np.ndarray:
        """The sprites after the timeline's step, still-hidden pixels as a grey checker: one grid."""
        t, hidden = self.drawn.trajectory, self.hidden()
        shown = np.where(hidden, 0, t.frame(self.step))
        return self._grid([show_hidden(rgb, h) for rgb, h in zip(self.drawn.run.palette.to_rgb(shown), hidden)])

    def order_rgb(self) -> np.ndarray:
        return self._heat_grid(self.order())

    def confidence_rgb(self) -> np.ndarray:
        return self._heat_grid(self.confidence())

    def _heat_grid(self, values: np.ndarray) -> np.ndarray:
        hidden = np.isnan(values)
        return self._grid([show_hidden(rgb, h) for rgb, h in zip(heat_rgb(values), hidden)])

    def _grid(self, rgbs) -> np.ndarray:
        return np.asarray(grid_image(np.stack(rgbs), self.drawn.run.palette, columns=min(COLUMNS, self.n)))

    def describe_step(self) -> str:
        """The timeline's step in words: how many pixels it committed, how many are left, when."""
        k, last, t = self.step, self.last_step, self.drawn.trajectory
        if k == 0:
            return f"Step 0 of {last}: every pixel hidden."
        if k > t.draw_steps:
            return (f"Step {k} of {last}: corrector pass {k - t.draw_steps} of {last - t.draw_steps}, "
                    f"{t.redrawn.shape[2]} pixels hidden again and redrawn · {self.seconds() * 1000:.0f} ms "
                    f"of {t.seconds[-1] * 1000:.0f} ms")
        left = int(self.hidden()[0].sum())
        return (f"Step {k} of {last}: {self.committed()} pixels committed in this step, {left} still hidden "
                f"· {self.seconds() * 1000:.0f} ms of {t.seconds[-1] * 1000:.0f} ms")
