"""The canvas's completion models, Qt-free: which models can fill a mask, which one is
chosen, its last variants, the same mask completed by every model side by side, and the
completion job that is running. The canvas view, `studio complete` and the tests use it:

    models = CompletionModels(runner=..., deliver=...)  # how long work runs (default: right here)
    models.changed.connect(redraw)       # "models", "current", "variants", "comparison", "job"
    models.set_canvas(palette.colors, sprite.shape)     # what the models must draw
    models.open_runs([run_dir], choose=run_dir)         # any model's run: PixelRNN, transformer, VAE, GAN
    job = models.start(sprite, mask, n=8)               # the chosen model's variants → models.variants
    job = models.start(sprite, mask, n=8, comparing=True)   # every usable model's → models.comparison
    models.cancel()                                     # stops the job between two steps

Completing runs a model for up to seconds: ``runner(work)`` runs it (the GUI: on a worker
thread) and ``deliver(call)`` brings the outcome back to the session's thread, so the signals
reach the views where they live. Scores are each model's own (``ModelResult.score_name``):
they rank one model's variants, not the models against each other.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from psygnal import Signal

from studio.errors import StudioError
from studio.models.completion import Cancelled, centre_hole, cover_bottom, given_first, random_pixels
from studio.models.inpainting import DiffusionCompletion, Variant, completer_for
from studio.session.pretrained import (BUILTIN_SET, family_title, is_pretrained, model_title, set_title, shipped_for,
                                       shipped_runs, shipped_set, startup_run)
from studio.session.trained import diffusion_sampling

__all__ = ["AUTOREGRESSIVE", "MASKS", "Cancelled", "CompletionJob", "CompletionModel", "CompletionModels",
           "ModelResult", "centre_hole", "compare", "complete_held_out", "completion_row", "cover_bottom",
           "given_first", "make_mask", "open_models", "random_pixels", "show_hidden", "task_colours"]

#: The models that complete pixel by pixel in raster order (progress counts pixels, not steps).
AUTOREGRESSIVE = ("pixelrnn", "transformer")


@dataclass(frozen=True)
class ModelResult:
    """One model's completion of one mask: its variants best first, and how long it took."""

    title: str  # the model's name in the chooser
    model: str  # its family: "pixelrnn", "transformer", "vae" or "gan"
    score_name: str  # what each Variant.score is (the model's own ranking score)
    variants: list[Variant]
    seconds: float  # wall time of the whole completion (all the variants)
    mask: np.ndarray  # [H, W] bool, True = filled in: the pixels a chosen variant replaces

    @property
    def best(self) -> Variant:
        return self.variants[0]


@dataclass
class CompletionModel:
    """A model the canvas can complete with: a trained task and how to name it."""

    task: object  # the engine Task of any model that has a completer (studio/models/inpainting.py)
    model: str  # "pixelrnn", "transformer", "vae" or "gan"
    title: str  # short, for the chooser: "PixelRNN (built-in creatures)" or "RUN_FOLDER · VAE"
    description: str  # one line for the "model in use" label (checkpoint, held-out score)
    path: Path | None = None  # the run folder, None for a model made in code
    run: object = None  # its TrainedRun (config, palette, data), None for a model made in code

    @classmethod
    def open(cls, path: str | Path, which: str = "best", device: str | None = "cpu") -> "CompletionModel":
        """A run folder's checkpoint ``which``, of any model that completes; RunError (from
        ``TrainedRun.open``) or ValueError (a model that cannot complete) otherwise."""
        from studio.train.trained import TrainedRun

        run = TrainedRun.open(path, which, device)
        completer_for(run.task)
        name, data = family_title(run.model), shipped_set(run.path)
        title = f"{name} ({set_title(data)})" if data else f"{run.path.name} · {name}"
        model = cls(run.task, run.model, title, run.describe(model_title(run.path)), run.path)
        model.run = run
        return model

    @classmethod
    def of_task(cls, task, description: str) -> "CompletionModel":
        """A task made in code (a test's, a notebook's), named by ``description``."""
        completer_for(task)
        return cls(task, type(task).__module__.rsplit(".", 1)[-1], description, description)

    @property
    def score_name(self) -> str:
        return completer_for(self.task).score_name

    def problem(self, colours: np.ndarray, shape: tuple[int, int]) -> str | None:
        """None if the model draws sprites of this palette (``colours`` [K, 3]) and ``shape``,
        else why not, in words."""
        own = task_colours(self.task)
        if not np.array_equal(own, colours):
            return (f"This model was trained on another palette ({len(own)} colours; the "
                    f"dataset has {len(colours)}): open the dataset it was trained on.")
        if tuple(self.task.size) != tuple(shape):
            return (f"This model draws {self.task.size[0]}×{self.task.size[1]} sprites, the canvas is "
                    f"{shape[0]}×{shape[1]}.")
        return None

    def complete(self, sprite: np.ndarray, mask: np.ndarray, n: int = 8, seed: int | None = None,
                 temperature: float = 1.0, *, progress: Callable[[int, int], None] | None = None,
                 cancel: Callable[[], bool] | None = None, steps: int | None = None,
                 schedule: str | None = None, corrector: int | None = None) -> ModelResult:
        """``n`` variants of ``sprite`` with ``mask``'s pixels filled in, best first, timed;
        ``cancel()`` returning True raises ``Cancelled`` between two steps. A diffusion model
        fills in ``steps`` steps on ``schedule`` (by default its run's K's share, its schedule),
        then ``corrector`` passes (none by default)."""
        sampling = diffusion_sampling(self.model, steps, schedule, corrector)
        completer = DiffusionCompletion(self.task, **sampling) if sampling else completer_for(self.task)
        start = time.perf_counter()
        variants = completer.complete(sprite, mask, n, seed=seed, temperature=temperature,
                                      progress=progress, cancel=cancel)
        return ModelResult(self.title, self.model, completer.score_name, variants,
                           time.perf_counter() - start, np.array(mask, bool))


def compare(models: list[CompletionModel], sprite: np.ndarray, mask: np.ndarray, n: int = 8,
            seed: int | None = None, temperature: float = 1.0, *,
            started: Callable[[int], None] | None = None, progress: Callable[[int, int], None] | None = None,
            cancel: Callable[[], bool] | None = None) -> list[ModelResult]:
    """The same mask completed by every model, one after another, in their order:
    ``started(i)`` before model i, ``progress(done, total)`` within it; a cancel stops it all."""
    results = []
    for i, model in enumerate(models):
        if started is not None:
            started(i)
        results.append(model.complete(sprite, mask, n, seed, temperature, progress=progress, cancel=cancel))
    return results


# --- masks and completions, as the CLI asks for them ---------------------------------------------
MASKS = {"cover": cover_bottom, "first": given_first, "hole": centre_hole, "random": random_pixels}
CHECKER = ((150, 150, 150), (200, 200, 200))  # how hidden pixels are shown beside a completion


def make_mask(kind: str, fraction: float, size: tuple[int, int], seed: int = 0) -> np.ndarray:
    """[H, W] bool, True = hidden: ``cover`` the bottom fraction, keep the ``first`` fraction
    in raster order (HW4), a centred ``hole`` of that area, or ``random`` pixels (seeded)."""
    if kind == "random":
        return random_pixels(size, fraction, seed=seed)
    return MASKS[kind](size, fraction)


def show_hidden(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """A sprite's RGB [H, W, 3] with its hidden pixels drawn as a grey checker."""
    shown = rgb.copy()
    checker = (np.indices(mask.shape).sum(0) % 2).astype(bool)
    shown[mask & checker], shown[mask & ~checker] = CHECKER
    return shown


def completion_row(sprite: np.ndarray, result: ModelResult, palette) -> np.ndarray:
    """RGB [2 + n, H, W, 3]: the sprite, the sprite with its hidden pixels shown, then the
    completions, best first (what `studio complete` writes as one row)."""
    shown = palette.to_rgb(sprite)
    return np.stack([shown, show_hidden(shown, result.mask)] + [palette.to_rgb(v.sprite) for v in result.variants])


def complete_held_out(model: CompletionModel, mask: np.ndarray, n: int = 8, seed: int | None = None,
                      temperature: float = 1.0, **sampling) -> tuple[np.ndarray, int]:
    """The likeliest of ``n`` completions of every held-out sprite of the model's run, in the
    split's order (HW4's task): ([k, H, W] sprites, k)."""
    sprites = model.run.dataset()
    _, held = model.run.split(sprites)
    if len(held) == 0:
        raise StudioError("the run holds no sprites out", model.path)
    completed = [model.complete(sprites.indices[i], mask, n, temperature=temperature,
                                seed=None if seed is None else seed + k, **sampling).best.sprite
                 for k, i in enumerate(held)]
    return np.stack(completed), len(held)


def open_models(paths: list[str | Path]) -> tuple[list[CompletionModel], list[tuple[Path, Exception]]]:
    """The models of run folders that open, and (folder, error) for those that do not."""
    opened, failed = [], []
    for path in paths:
        try:
            opened.append(CompletionModel.open(path))
        except (StudioError, ValueError, OSError) as err:
            failed.append((Path(path), err))
    return opened, failed


class CompletionJob:
    """One completion: the chosen model's variants, or (``comparing``) every model's, one after
    another. :meth:`run` works on any thread; :meth:`cancel` is honoured before its next step.
    ``progressed`` and ``model_started`` fire on the thread that runs it."""

    #: (steps done, steps in all) of the model completing now
    progressed = Signal(int, int)
    #: the index in ``models`` of the model completing now
    model_started = Signal(int)

    def __init__(self, models: list[CompletionModel], sprite: np.ndarray, mask: np.ndarray, n_variants: int,
                 temperature: float = 1.0, comparing: bool = False):
        self.models, self.sprite, self.mask = list(models), np.array(sprite), np.array(mask, bool)
        self.n_variants, self.temperature, self.comparing = n_variants, temperature, comparing
        self.results: list[ModelResult] = []  # a ModelResult per model, in order, once it ran
        self.error: BaseException | None = None  # why it did not (Cancelled when cancelled)
        self.done = False
        self._cancel = threading.Event()

    def run(self) -> list[ModelResult]:
        try:
            self.results = compare(self.models, self.sprite, self.mask, self.n_variants,
                                   temperature=self.temperature, started=self.model_started.emit,
                                   progress=self.progressed.emit, cancel=self._cancel.is_set)
            return self.results
        except BaseException as error:
            self.error = error
            raise
        finally:
            self.done = True

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def unit(self, i: int) -> str:
        """What model ``i``'s progress counts: pixels (a raster model's SMC) or optimiser steps."""
        return "pixel" if self.models[i].model in AUTOREGRESSIVE else "step"


class CompletionModels:
    """The models the canvas can complete with, the chosen one, what they completed, and the
    job that is completing now."""

    #: what changed: "models" (the list), "current" (the choice), "canvas" (what to complete),
    #: "variants", "comparison", "job"
    changed = Signal(str)
    #: a job ended (on the session's thread): the CompletionJob, its ``results`` or ``error`` set
    job_ended = Signal(object)
    #: opening a run failed: (folder, error, whether it was the run asked to complete with)
    open_failed = Signal(object, object, bool)

    def __init__(self, runner: Callable[[Callable[[], None]], None] | None = None,
                 deliver: Callable[[Callable[[], None]], None] | None = None):
        self.models: list[CompletionModel] = []
        self.index: int | None = None
        self.variants: ModelResult | None = None  # the chosen model's last completion
        self.comparison: list[ModelResult] = []  # the last "compare all models", in model order
        self.job: CompletionJob | None = None  # the completion running now
        self.colours: np.ndarray | None = None  # the canvas's palette [K, 3] and sprite shape
        self.shape: tuple[int, int] | None = None
        self.choosing: Path | None = None  # the run last asked to complete with, while it opens
        self._opening: set[Path] = set()  # run folders being opened by the runner (never twice at once)
        self._runner = runner or (lambda work: work())
        self._deliver = deliver or (lambda call: call())

    @property
    def current(self) -> CompletionModel | None:
        return None if self.index is None else self.models[self.index]

    def add(self, model: CompletionModel, choose: bool = True) -> int:
        """Add ``model`` (a run already in the list is replaced: reopened, e.g. after more
        training) and, with ``choose``, complete with it from now on. → its index."""
        same = [i for i, m in enumerate(self.models)
                if model.path is not None and m.path is not None and m.path.resolve() == model.path.resolve()]
        if same:
            index = same[0]
            self.models[index] = model
        else:
            index = len(self.models)
            self.models.append(model)
        self.changed.emit("models")
        if choose or index == self.index:
            self.index = None  # so choose() reports the (possibly reopened) model
            self.choose(index)
        self._prefer_fitting()
        return index

    def choose(self, index: int | None) -> None:
        """Complete with model ``index`` (None: none); its old variants go, the comparison stays."""
        if index is not None and not 0 <= index < len(self.models):
            raise IndexError(f"no model {index}; there are {len(self.models)}")
        if index != self.index:
            self.index = index
            self.variants = None
            self.changed.emit("current")

    def usable(self, colours: np.ndarray, shape: tuple[int, int]) -> tuple[list[CompletionModel], list[str]]:
        """(the models that can complete a canvas of this palette and shape, in list order;
        the titles of those that cannot)."""
        problems = [m.problem(colours, shape) for m in self.models]
        return ([m for m, p in zip(self.models, problems) if p is None],
                [m.title for m, p in zip(self.models, problems) if p is not None])

    def set_variants(self, result: ModelResult | None) -> None:
        self.variants = result
        self.changed.emit("variants")

    def set_comparison(self, results: list[ModelResult]) -> None:
        self.comparison = list(results)
        self.changed.emit("comparison")

    def clear_results(self) -> None:
        """A new sprite on the canvas: the variants and the comparison were for the old one."""
        self.set_variants(None)
        self.set_comparison([])

    # --- the canvas, and which models fit it ----------------------------------------------------
    def set_canvas(self, colours: np.ndarray, shape: tuple[int, int]) -> None:
        """The palette [K, 3] and (H, W) of the sprites to complete (a new dataset)."""
        self.colours, self.shape = np.asarray(colours), tuple(shape)
        self.clear_results()
        self.changed.emit("canvas")
        self._follow_shipped()
        self._prefer_fitting()

    def _follow_shipped(self) -> None:
        """The chooser lists the shipped models of the canvas's palette: those of another
        palette leave it, those of this one join (opened by the runner); the user's runs stay."""
        current = self.current
        keep = [m for m in self.models if m.path is None or not is_pretrained(m.path)
                or m.problem(self.colours, self.shape) is None]
        if len(keep) != len(self.models):
            self.models = keep
            self.index = keep.index(current) if current in keep else None
            self.changed.emit("models")
            if current not in keep:
                self.changed.emit("current")
        listed = {m.path.resolve() for m in self.models if m.path is not None} | self._opening
        missing = [p for p in shipped_for(self.colours, self.shape) if p.resolve() not in listed]
        if missing:
            self.open_runs(missing)

    def _prefer_fitting(self) -> None:
        """When the chosen model cannot complete the canvas (another palette: the course's
        Pokémon opened while a built-in creatures' model was chosen) and another can, choose
        that one — of the same family first — so the canvas is never left with a refused model."""
        if self.shape is None or self.choosing is not None \
                or (self.current is not None and self.current.problem(self.colours, self.shape) is None):
            return  # nothing to complete yet, a run asked for is opening (it wins), or the choice fits
        fitting, _ = self.fitting()
        if fitting:
            same = [m for m in fitting if self.current is not None and m.model == self.current.model]
            self.choose(self.models.index((same or fitting)[0]))

    def problem(self) -> str | None:
        """None if the chosen model can complete the canvas, else why not (in words)."""
        if self.current is None:
            return "Train or open a PixelRNN run to complete."
        if self.shape is None:
            return "No sprite on the canvas yet."
        return self.current.problem(self.colours, self.shape)

    def fitting(self) -> tuple[list[CompletionModel], list[str]]:
        """(the models that can complete the canvas, the titles of those that cannot)."""
        if self.shape is None:
            return [], []
        return self.usable(self.colours, self.shape)

    # --- completing ------------------------------------------------------------------------------
    def start(self, sprite: np.ndarray, mask: np.ndarray, n: int = 8, temperature: float = 1.0,
              comparing: bool = False, before: Callable[[CompletionJob], None] | None = None) -> CompletionJob | None:
        """Complete ``mask``'s pixels of ``sprite`` with the chosen model (or, ``comparing``, with
        every model that fits the canvas, one after another); None if it cannot start now (a
        job runs, no model fits, nothing is masked). The outcome lands in ``variants`` /
        ``comparison``, and ``job_ended`` fires."""
        models = self.fitting()[0] if comparing else [self.current]
        if self.job is not None or not np.asarray(mask).any() or not models \
                or (not comparing and self.problem() is not None):
            return None
        if comparing:
            self.set_comparison([])
        else:
            self.set_variants(None)
        job = self.job = CompletionJob(models, sprite, mask, n, temperature, comparing)
        if before is not None:
            before(job)
        self.changed.emit("job")

        def work() -> None:
            try:
                job.run()
            except Cancelled:
                pass
            except BaseException:
                self._deliver(lambda: self._ended(job))
                if not isinstance(job.error, StudioError):
                    raise  # a bug: its traceback goes wherever the runner reports it
                return
            self._deliver(lambda: self._ended(job))

        self._runner(work)
        return job

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _ended(self, job: CompletionJob) -> None:
        if job is self.job:
            self.job = None
        fits = all(m.problem(self.colours, self.shape) is None for m in job.models[:1]) \
            if self.shape is not None else False
        if job.error is None and fits:  # else another palette or size came meanwhile: they no longer fit
            if job.comparing:
                self.set_comparison(job.results)
            else:
                self.set_variants(job.results[0])
        elif job.error is None:
            job.error = StudioError("the dataset changed while completing: complete again")
        self.changed.emit("job")
        self.job_ended.emit(job)

    # --- opening runs ------------------------------------------------------------------------------
    def open_runs(self, paths: list[str | Path], choose: str | Path | None = None) -> None:
        """Add the models of ``paths`` (opened by the runner), completing with ``choose`` (the
        newest such request wins); failures fire ``open_failed``."""
        paths = [Path(p) for p in paths]
        choose = Path(choose) if choose is not None else None
        if choose is not None:
            self.choosing = choose
        self._opening.update(p.resolve() for p in paths)

        def work() -> None:
            opened, failed = open_models(paths)
            self._deliver(lambda: self._opened(choose, opened, failed, paths))

        self._runner(work)

    def show_checkpoint(self, path: str | Path) -> bool:
        """A newer checkpoint of the run at ``path`` is on disk (quick models are training):
        reopen it when the chooser lists it, and complete with it when the chosen model cannot
        complete the canvas. → whether it is being opened."""
        path = Path(path)
        listed = any(m.path is not None and m.path.resolve() == path.resolve() for m in self.models)
        refused = self.shape is not None and self.problem() is not None
        if listed or refused:
            self.open_runs([path], choose=path if refused else None)
        return listed or refused

    def open_startup(self, last: str | Path | None = None, runs_dir: str | Path | None = None) -> Path | None:
        """On launch: complete with the model used ``last``, else the newest raster-model run in
        ``runs_dir``, else the shipped one; the other shipped models join the chooser. → the run
        chosen (None when a run asked for meanwhile wins, or none exists)."""
        run = startup_run(AUTOREGRESSIVE, last, runs_dir)
        if self.choosing is not None:  # a run asked for meanwhile (File → Open run…) wins
            run = None
        # The shipped models of the canvas's palette (once a dataset is open: the built-in
        # creatures' until then; set_canvas swaps them for another palette's).
        shipped = shipped_for(self.colours, self.shape) if self.shape is not None else shipped_runs(BUILTIN_SET)
        shipped = [p for p in shipped if run is None or p.resolve() != Path(run).resolve()]
        self.open_runs(([Path(run)] if run is not None else []) + shipped, choose=run)
        return run

    def _opened(self, choose: Path | None, opened: list[CompletionModel], failed: list, paths=()) -> None:
        self._opening.difference_update(p.resolve() for p in paths)
        newest = choose is not None and choose == self.choosing  # no later request to choose another
        if self.shape is not None:  # a shipped model of another palette, opened before the canvas changed
            opened = [m for m in opened if not (m.path is not None and is_pretrained(m.path)
                                                and m.problem(self.colours, self.shape) is not None)]
        for model in opened:
            self.add(model, choose=newest and model.path.resolve() == choose.resolve())
        for path, error in failed:
            self.open_failed.emit(path, error, choose is not None and path == choose)
        if newest:
            self.choosing = None  # answered


def task_colours(task) -> np.ndarray:
    """The palette [K, 3] uint8 a task was trained with, whatever the model."""
    palette = getattr(task, "palette", None)
    if palette is None:  # the VAE keeps it as a tensor only
        return task.palette_rgb.cpu().numpy()
    return np.asarray(getattr(palette, "colors", palette))
