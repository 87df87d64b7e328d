"""Trained models as a user reaches them, Qt-free: open a run folder, find the model to use for
a dataset when no run is named, draw sprites and write them, evaluate and score. The CLI's
`sample`, `eval` and `score` and the app's views make these calls:

    run = open_run("runs/gan-...")                      # TrainedRun: task, palette, config
    path, why = choose_run("gan", dataset)              # the user's newest fitting run, else the shipped one
    write_sprites(draw(run, 64), run.palette, "grid.png")
    evaluate(run_dir) / score(run_dir_or_file, data=...)
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from studio.data import COURSE, grid_image
from studio.data.course import write_colormap, write_pixels
from studio.data.files import save_image, write_bytes
from studio.data.sprites import check_grid_size
from studio.errors import ConfigError, RunError, StudioError
from studio.session.pretrained import choose_model
from studio.models.diffusion import MAX_STEPS as DIFFUSION_MAX_STEPS, SCHEDULES as DIFFUSION_SCHEDULES
from studio.train.evaluate import evaluate_run, score_run, score_sprites_file
from studio.train.run import RunDir
from studio.train.trained import TrainedRun, run_config

__all__ = ["DIFFUSION_MAX_STEPS", "DIFFUSION_SCHEDULES", "TrainedRun", "choose_run", "draw", "evaluate", "open_run", "run_config", "score", "uses_dataset",
           "write_sprites"]


def open_run(path: str | Path, which: str = "best", device: str | None = "cpu",
             model: str | tuple[str, ...] | None = None) -> TrainedRun:
    """A run folder's checkpoint ``which`` (best, last or a file), ready to draw; RunError
    naming the file when it cannot be opened."""
    return TrainedRun.open(path, which, device, model=model)


def choose_run(model: str, dataset, runs_dir: str | Path | None = None) -> tuple[Path, str]:
    """The run of ``model`` to use for ``dataset`` when the user names none (pretrained.choose_model:
    their newest run trained on its palette and size, else a shipped one that fits). → (its
    folder, a line saying which it is). StudioError when none fits."""
    choice = choose_model(model, dataset, runs_dir=runs_dir)
    if not choice:
        raise StudioError(choice.reason, hint=f"train one: studio train {model} --data {dataset.source or dataset.name}")
    return choice.path, choice.reason


def uses_dataset(path: str | Path, dataset) -> bool:
    """Whether the run at ``path`` was trained on ``dataset`` (its source and palette), so a
    view that has it open can hand it over instead of the run reopening it. A run of the
    course's data by name (``"course"``: the shipped Pokémon models) matches the course's data
    wherever it was opened from: the same palette, size and number of sprites."""
    try:
        data = run_config(path)["data"]
    except RunError:
        return False
    same_palette = dataset.palette.colors.tolist() == data.get("palette")
    if data.get("source") == COURSE:
        return same_palette and list(data.get("size", ())) == [dataset.height, dataset.width] \
            and data.get("train", 0) + data.get("held_out", 0) == len(dataset)
    return data.get("source") == (dataset.source or dataset.name) and same_palette


def diffusion_sampling(model: str, steps: int | None = None, schedule: str | None = None,
                       corrector: int | None = None) -> dict:
    """{steps, schedule, corrector}, those given, for drawing or completing with a diffusion
    run; a ConfigError for another family (they draw in one way only)."""
    given = {k: v for k, v in (("steps", steps), ("schedule", schedule), ("corrector", corrector)) if v is not None}
    if given and model != "diffusion":
        raise ConfigError(f"{next(iter(given))} is for diffusion runs; this is a {model} run", hint="drop it")
    return given


def draw(run: TrainedRun, n: int, seed: int = 0, temperature: float = 1.0, top_k: int | None = None,
         steps: int | None = None, schedule: str | None = None, corrector: int | None = None) -> np.ndarray:
    """``n`` new sprites [n, H, W] uint8 from ``run``'s model; a diffusion run in ``steps``
    steps on ``schedule`` with ``corrector`` passes after them (its own unless given)."""
    check_grid_size(n, *run.task.size)
    sampling = diffusion_sampling(run.model, steps, schedule, corrector)
    return np.asarray(run.task.draw(n, seed=seed, temperature=temperature, top_k=top_k, **sampling), dtype=np.uint8)


def write_sprites(sprites: np.ndarray, palette, output: str | Path, scale: int = 4) -> str:
    """Write sprites [n, H, W] as a grid image, the course's text format (palette beside it as
    FILE.colormap.txt) or a .npy array, by ``output``'s suffix; → what was written, in words."""
    output = Path(output)
    if output.suffix == ".txt":
        write_pixels(sprites, output)
        write_colormap(palette, output.with_suffix(".colormap.txt"))
        return f"{len(sprites)} sprites to {output} (palette: {output.with_suffix('.colormap.txt')})"
    if output.suffix == ".npy":
        buffer = io.BytesIO()
        np.save(buffer, sprites)
        write_bytes(output, buffer.getvalue())
    else:
        check_grid_size(len(sprites), *sprites.shape[1:], scale=scale)
        save_image(grid_image(sprites, palette, scale=scale), output)
    return f"{len(sprites)} samples to {output}"


def evaluate(run_dir: str | Path, which: str = "best", device: str | None = None, n: int = 512) -> dict:
    """A run's held-out metrics and the yardstick of ``n`` of its samples (``studio eval``)."""
    return evaluate_run(run_dir, which, device, n=n)


def score(source: str | Path, *, data: str | None = None, palette: str | Path | None = None, n: int = 512,
          seed: int = 0, which: str = "best", device: str | None = None) -> dict:
    """The yardstick of a run's samples, or of a file of sprites against ``data`` (``studio score``)."""
    source = Path(source)
    if RunDir(source).exists():
        return score_run(source, n=n, seed=seed, which=which, device=device, data=data)
    if source.is_dir():
        raise RunError(f"{source}: not a run folder (no config.json) and not a sprite file")
    if data is None:
        raise StudioError("a sprite file is scored against real sprites; name them with --data "
                          "(a course folder or 'builtin')", source)
    return score_sprites_file(source, data, palette, n=n, seed=seed)
