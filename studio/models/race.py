"""The completion race: one mask filled pixel by pixel in raster order (PixelRNN, the transformer)
and a few pixels a step in confidence order (masked diffusion), each frame with the time it
was reached — the frames a view replays side by side.

    frames = race_frames(task, sprite, mask, n=8, seed=0)      # any raster or diffusion task
    frames.frames[k], frames.seconds[k]                          # the sprite after frame k, and when

Each model completes as the canvas completes with it (studio/models/inpainting.py: the raster
models' SMC over ``n`` or more particles, the diffusion model's steps over ``n`` fillings),
and the race shows the variant the canvas would show first:

- raster order: one frame per hidden pixel, in the order the sampler drew them, at the time it
  passed that pixel (its ``progress`` calls). The frame shows the chosen variant's colours:
  when sequential Monte Carlo resampled, a particle's earlier pixels may have been replaced by
  another's in between, so these are the pixels that survived, shown in the order they were drawn;
- confidence order: one frame per diffusion step (``Trajectory.frame``), at the time the step ended.

The last frame's time is the whole completion's, ranking included.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from studio.models import completion


@dataclass(frozen=True)
class RaceFrames:
    order: str  # "raster", "confidence" (the cosine schedule) or "random" (D3PM's)
    frames: np.ndarray  # [F + 1, H, W] int16: the start (hole hidden) then after each frame; mask_token where hidden
    seconds: np.ndarray  # [F + 1] wall seconds from the start at which each frame was reached (0 first)
    mask_token: int  # the index a still-hidden pixel holds (the palette's size)

    @property
    def sprite(self) -> np.ndarray:
        """[H, W] the finished completion."""
        return self.frames[-1]

    def at(self, seconds: float) -> np.ndarray:
        """[H, W] the frame shown ``seconds`` after the start (the last one reached by then)."""
        return self.frames[max(int(np.searchsorted(self.seconds, seconds, side="right")) - 1, 0)]


def race_frames(task, sprite: np.ndarray, mask: np.ndarray, n: int = 8, seed: int | None = None,
                temperature: float = 1.0, steps: int | None = None) -> RaceFrames:
    """``sprite`` [H, W] with ``mask`` [H, W] (True = hidden) filled by ``task``'s model, frame by
    frame; ``steps``: a diffusion model's (as the canvas takes: its K's share for the hole)."""
    family = type(task).__module__.rsplit(".", 1)[-1]
    if family == "diffusion":
        return diffusion_frames(task, sprite, mask, n, seed, temperature, steps)
    if family in completion.RASTER_MODELS:
        return raster_frames(task, sprite, mask, n, seed, temperature)
    raise ValueError(f"the race is between raster and diffusion models, not {family}")


def raster_frames(task, sprite, mask, n=8, seed=None, temperature=1.0) -> RaceFrames:
    hidden = np.asarray(mask, bool)
    passed = {}  # pixel count in raster order → seconds, from the sampler's progress calls
    start = time.perf_counter()
    found = completion.complete(task, sprite, hidden, n_variants=n, temperature=temperature, seed=seed,
                                progress=lambda done, total: passed.setdefault(done, time.perf_counter() - start))
    total = time.perf_counter() - start
    best, order = found[0].sprite.reshape(-1), np.flatnonzero(hidden.reshape(-1))
    frames = np.repeat(best[None].astype(np.int16), len(order) + 1, axis=0)
    for k in range(len(order)):  # frame k: the first k hidden pixels drawn, the rest still hidden
        frames[k, order[k:]] = task.num_colors
    seconds = np.array([0.0] + [passed[i + 1] for i in order[:-1]] + ([total] if len(order) else []))
    return RaceFrames("raster", frames.reshape(-1, *hidden.shape), seconds, task.num_colors)


def diffusion_frames(task, sprite, mask, n=8, seed=None, temperature=1.0, steps=None) -> RaceFrames:
    start = time.perf_counter()
    found = task.trajectory(sprite, np.asarray(mask, bool), n, seed=seed, temperature=temperature, steps=steps)
    best = int(np.argmax(found.log_p))  # the variant the canvas shows first (inpainting.DiffusionCompletion)
    seconds = found.seconds.copy()
    seconds[-1] = time.perf_counter() - start
    order = "confidence" if task.config.schedule == "cosine" else "random"
    return RaceFrames(order, found.frames()[:, best], seconds, found.mask_token)
