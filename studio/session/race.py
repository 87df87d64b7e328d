"""The completion race, Qt-free: the same mask filled by several models, frame by frame, for a
side-by-side replay in which each model's frames appear at the times it reached them.

    race = CompletionRace()
    race.changed.connect(redraw)                                  # "entrants", "frames"
    race.set_entrants([transformer_model, diffusion_model])       # CompletionModel of raster / diffusion runs
    race.set_frames(race.run(sprite, mask, n=8, seed=0))          # on a worker thread: seconds
    race.at(0.05)                                                 # each entrant's frame 50 ms in
    race.duration                                                 # the slowest entrant's time
    race.rgb_at(0.05, palette)                                    # the same, as RGB (hidden: a checker)
    race.set_entrants(race_entrants(models.fitting()[0], models.current))   # the canvas's pair

Running takes as long as the completions (the raster models' SMC: a second or more on a CPU),
so the GUI calls ``run`` on a worker and hands the frames to ``set_frames`` on its own thread.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from psygnal import Signal

from studio.models.race import RaceFrames, race_frames
from studio.session.completion import AUTOREGRESSIVE, CompletionModel, show_hidden


class CompletionRace:
    #: what changed: "entrants" (the models racing) or "frames" (a finished race)
    changed = Signal(str)

    def __init__(self):
        self.entrants: list[CompletionModel] = []
        self.frames: list[RaceFrames] = []  # one per entrant, after ``set_frames``

    def set_entrants(self, models: list[CompletionModel]) -> None:
        for model in models:
            if model.model not in RACERS:
                raise ValueError(f"{model.title}: the race is between {' and '.join(RACERS)} models")
        self.entrants = list(models)
        self.frames = []
        self.changed.emit("entrants")

    def run(self, sprite: np.ndarray, mask: np.ndarray, n: int = 8, seed: int | None = None,
            temperature: float = 1.0, *, started: Callable[[int], None] | None = None) -> list[RaceFrames]:
        """Each entrant completes ``sprite`` with ``mask`` hidden, one after the other (each timed
        on its own); ``started(i)`` before entrant i."""
        results = []
        for i, model in enumerate(self.entrants):
            if started is not None:
                started(i)
            results.append(race_frames(model.task, sprite, mask, n=n, seed=seed, temperature=temperature))
        return results

    def set_frames(self, frames: list[RaceFrames]) -> None:
        self.frames = list(frames)
        self.changed.emit("frames")

    @property
    def duration(self) -> float:
        """Seconds until the last entrant finished (0 before a race)."""
        return max((float(f.seconds[-1]) for f in self.frames), default=0.0)

    def at(self, seconds: float) -> list[np.ndarray]:
        """Each entrant's frame [H, W] ``seconds`` after the start (mask_token where still hidden)."""
        return [f.at(seconds) for f in self.frames]


    def rgb_at(self, seconds: float, palette) -> list[np.ndarray]:
        """Each entrant's frame ``seconds`` in as RGB [H, W, 3], still-hidden pixels as a grey checker."""
        frames = []
        for f, frame in zip(self.frames, self.at(seconds)):
            hidden = frame == f.mask_token
            frames.append(show_hidden(palette.to_rgb(np.where(hidden, 0, frame)), hidden))
        return frames

    def finished(self, seconds: float) -> list[bool]:
        """Whether each entrant had finished ``seconds`` after the start."""
        return [seconds >= float(f.seconds[-1]) for f in self.frames]


RACERS = ("pixelrnn", "transformer", "diffusion")  # the families race_frames fills frame by frame


def race_entrants(models: list[CompletionModel], current: CompletionModel | None = None) -> list[CompletionModel]:
    """The canvas's race among ``models`` (those that fit it): a raster model and a diffusion
    model, the chosen one (``current``) where it is either, else the first of each in the list.
    ValueError, in words, when one of the two is missing."""
    def first(families):
        if current is not None and current.model in families:
            return current
        return next((m for m in models if m.model in families), None)

    raster, masked = first(AUTOREGRESSIVE), first(("diffusion",))
    if raster is None or masked is None:
        missing = "a PixelRNN or transformer model" if raster is None else "a diffusion model"
        raise ValueError(f"The race needs {missing} that fits this canvas: open or train one.")
    return [raster, masked]
