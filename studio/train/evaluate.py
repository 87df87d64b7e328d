"""`studio eval` and `studio score`: a trained run's metrics, and the yardstick of any samples.

- evaluate_run: the run's own metrics (bits/px where the model has a likelihood) on its
  training and held-out sprites, plus the yardstick (studio/models/scores.py) of its samples;
- score_run / score_sprites_file: the yardstick of a run's samples or of a file of sprites,
  with the reference rows (real floor, shuffled ceiling) made the same way.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from studio.data import SpriteSet, open_dataset
from studio.data.course import read_colormap, read_pixels
from studio.errors import DatasetError
from studio.models import scores
from studio.train.trained import TrainedRun

#: evaluate() keys that are held-out bits per pixel: PixelRNN's exact −log p(x), the VAE's
#: bound on it (−ELBO). The GAN has no likelihood.
LIKELIHOOD_KEYS = ("bits_per_pixel", "elbo_bits_per_pixel")


def evaluate_run(run_dir: str | Path, which: str = "best", device: str | None = None,
                 batch_size: int = 256, n: int = 512, seed: int = 0) -> dict:
    """Reopen the run's data with its split, evaluate the chosen checkpoint on both halves,
    and score ``n`` of its samples (``n=0``: no scores)."""
    run = TrainedRun.open(run_dir, which, device)
    task, sprites = run.task, run.dataset()
    train_idx, held_idx = run.split(sprites)
    result = {"run": str(run_dir), "model": run.model, "checkpoint": run.checkpoint.name,
              **_metrics(task, sprites, {"train": train_idx, "held_out": held_idx}, batch_size)}
    if n and len(held_idx):
        result["scores"] = scores.score_samples(task.draw(n, seed=seed), sprites.indices[train_idx],
                                                sprites.indices[held_idx], sprites.palette, n=n, seed=seed)
    return result


def held_out_bits(metrics: dict) -> float | None:
    """Held-out bits per pixel from task.evaluate's metrics; None for a model without a likelihood."""
    return next((float(metrics[k]) for k in LIKELIHOOD_KEYS if k in metrics), None)


def score_run(run_dir: str | Path, n: int = 512, seed: int = 0, which: str = "best",
              device: str | None = None, data: str | None = None, reference: bool = True) -> dict:
    """The yardstick of ``n`` samples of a run's checkpoint against its own data's split (or
    against ``data``), held-out bits/px where the model has one, and (``reference``) the
    reference rows."""
    run = TrainedRun.open(run_dir, which, device)
    task, palette = run.task, run.palette
    result = {"source": str(run_dir), "model": run.model, "checkpoint": run.checkpoint.name}
    if data is None:
        sprites = run.dataset()
        train_idx, held_idx = run.split(sprites)
        bits = held_out_bits(_metrics(task, sprites, {"held_out": held_idx}).get("held_out", {}))
        if bits is not None:
            result["bits_per_pixel"] = bits
    else:
        sprites = open_dataset(data)
        train_idx, held_idx = sprites.split()
    samples = task.draw(n, seed=seed)
    # Drawn in the run's palette, scored as the data's palette shows them (nearest colour).
    samples = samples if palette == sprites.palette else palette.to_rgb(samples)
    return {**result, **_yardstick(samples, sprites, train_idx, held_idx, n, seed, reference)}


def score_sprites_file(path: str | Path, data: str, palette_file: str | Path | None = None,
                       n: int = 512, seed: int = 0) -> dict:
    """The yardstick of the sprites in a file — the course's format (one sprite a line, palette
    indices into ``palette_file``, default the data's palette) or a .npy array [n, H, W] —
    against the real sprites of ``data``."""
    path = Path(path)
    sprites = open_dataset(data)
    palette = read_colormap(palette_file) if palette_file else sprites.palette
    if path.suffix == ".npy":
        try:
            samples = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as err:
            raise DatasetError(f"not a NumPy array file ({err})", path) from None
    else:
        samples = read_pixels(path, palette)
    if samples.ndim != 3 or samples.shape[1:] != sprites.indices.shape[1:]:
        raise DatasetError(f"holds sprites of shape {samples.shape[1:]}, the data's are "
                           f"{sprites.indices.shape[1:]}", path)
    if samples.max() >= len(palette) or samples.min() < 0:
        raise DatasetError(f"colour index {int(samples.max())} is outside the palette (0..{len(palette) - 1}); "
                           "give the sprites' own palette with --palette", path)
    # Sprites in another palette are scored as the data's palette shows them (nearest colour).
    samples = samples if palette == sprites.palette else palette.to_rgb(samples)
    return {"source": str(path), **_yardstick(samples, sprites, *sprites.split(), n, seed)}


def _yardstick(samples, sprites: SpriteSet, train_idx, held_idx, n: int, seed: int, reference: bool = True) -> dict:
    if len(held_idx) == 0:
        raise DatasetError("has no held-out sprites to score against (too few sprites)", sprites.source)
    train, held = sprites.indices[train_idx], sprites.indices[held_idx]
    result = {"data": sprites.source or sprites.name, "samples": int(min(n, len(samples))), "seed": seed,
              **scores.score_samples(samples, train, held, sprites.palette, n=n, seed=seed)}
    if reference:
        result["reference"] = scores.reference_rows(train, held, sprites.palette, n=n, seed=seed)
    return result


def _metrics(task, sprites: SpriteSet, splits: dict, batch_size: int = 256) -> dict:
    """{split name: task.evaluate's metrics on those sprites}, for each non-empty split."""
    data = torch.from_numpy(sprites.indices).long()
    with torch.no_grad():
        return {name: _batched_mean(task, data[torch.from_numpy(idx)], batch_size)
                for name, idx in splits.items() if len(idx)}


def _batched_mean(task, sprites: torch.Tensor, batch_size: int) -> dict:
    """Sprite-weighted mean of task.evaluate over batches (bounded memory on big sets)."""
    totals: dict[str, float] = {}
    for start in range(0, len(sprites), batch_size):
        chunk = sprites[start:start + batch_size].to(task.device)
        for k, v in task.evaluate(chunk).items():
            totals[k] = totals.get(k, 0.0) + float(v) * len(chunk)
    return {k: v / len(sprites) for k, v in totals.items()}
