"""The canvas's completion models, Qt-free: which models can fill a mask, which one is
chosen, its last variants, and the same mask completed by every model side by side.

    models = CompletionModels()
    models.changed.connect(redraw)                   # "models", "current", "variants", "comparison"
    models.add(open_models([run_dir])[0][0])         # any model's run: PixelRNN, transformer, VAE, GAN
    models.choose(1)
    result = models.current.complete(sprite, mask, n=8)           # timed: a ModelResult
    models.set_variants(result)
    usable, skipped = models.usable(palette.colors, sprite.shape)
    models.set_comparison(compare(usable, sprite, mask, n=8))      # the best of each: results[i].best

Completing runs the model (seconds): the GUI calls ``complete`` / ``compare`` on a worker
thread and hands the results to ``set_variants`` / ``set_comparison`` on its own thread, so
the signals reach the views where they live. Scores are each model's own
(``ModelResult.score_name``): they rank one model's variants, not the models against each other.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from psygnal import Signal

from studio.models.inpainting import Variant, completer_for
from studio.session.pretrained import MODEL_TITLES, is_pretrained, model_title


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
    title: str  # short, for the chooser: "PixelRNN (built-in)" or "RUN_FOLDER · VAE"
    description: str  # one line for the "model in use" label (checkpoint, held-out score)
    path: Path | None = None  # the run folder, None for a model made in code

    @classmethod
    def open(cls, path: str | Path) -> "CompletionModel":
        """A run folder's best checkpoint, of any model that completes; RunError (from
        ``TrainedRun.open``) or ValueError (a model that cannot complete) otherwise."""
        from studio.train.trained import TrainedRun

        run = TrainedRun.open(path)
        completer_for(run.task)
        name = MODEL_TITLES.get(run.model, run.model)
        title = f"{name} (built-in)" if is_pretrained(run.path) else f"{run.path.name} · {name}"
        return cls(run.task, run.model, title, run.describe(model_title(run.path)), run.path)

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
                 cancel: Callable[[], bool] | None = None) -> ModelResult:
        """``n`` variants of ``sprite`` with ``mask``'s pixels filled in, best first, timed;
        ``cancel()`` returning True raises ``Cancelled`` between two steps."""
        completer = completer_for(self.task)
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


def open_models(paths: list[str | Path]) -> tuple[list[CompletionModel], list[tuple[Path, Exception]]]:
    """The models of run folders that open, and (folder, error) for those that do not."""
    from studio.errors import StudioError

    opened, failed = [], []
    for path in paths:
        try:
            opened.append(CompletionModel.open(path))
        except (StudioError, ValueError, OSError) as err:
            failed.append((Path(path), err))
    return opened, failed


class CompletionModels:
    """The models the canvas can complete with, the chosen one, and what they completed."""

    #: what changed: "models" (the list), "current" (the choice), "variants", "comparison"
    changed = Signal(str)

    def __init__(self):
        self.models: list[CompletionModel] = []
        self.index: int | None = None
        self.variants: ModelResult | None = None  # the chosen model's last completion
        self.comparison: list[ModelResult] = []  # the last "compare all models", in model order

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


def task_colours(task) -> np.ndarray:
    """The palette [K, 3] uint8 a task was trained with, whatever the model."""
    palette = getattr(task, "palette", None)
    if palette is None:  # the VAE keeps it as a tensor only
        return task.palette_rgb.cpu().numpy()
    return np.asarray(getattr(palette, "colors", palette))
