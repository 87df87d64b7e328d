"""The completion race: raster order against confidence order, frame by frame, replayed by time."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from studio.data import open_dataset
from studio.models import diffusion, transformer, vae
from studio.models.completion import centre_hole
from studio.session.completion import CompletionModel
from studio.session.race import CompletionRace, race_entrants


@pytest.fixture(scope="module")
def entrants():
    sprites = open_dataset("builtin:n=16,size=10,seed=3")
    size, colours = (sprites.height, sprites.width), sprites.palette.colors
    torch.manual_seed(0)
    raster = transformer.Task(transformer.Config(n_embd=16, n_head=2, n_layer=1), colours, size, torch.device("cpu"))
    masked = diffusion.Task(diffusion.Config(n_embd=16, n_head=2, n_layer=1, steps=3), colours, size,
                            torch.device("cpu"))
    return sprites, [CompletionModel.of_task(raster, "tiny transformer"), CompletionModel.of_task(masked, "tiny diffusion")]


def test_a_race_replays_each_entrants_frames_at_the_times_it_reached_them(entrants):
    sprites, models = entrants
    race, seen = CompletionRace(), []
    race.changed.connect(seen.append)
    race.set_entrants(models)
    sprite, mask = sprites.indices[1], centre_hole((10, 10), 0.3)
    started = []
    race.set_frames(race.run(sprite, mask, n=2, seed=0, started=started.append))
    assert seen == ["entrants", "frames"] and started == [0, 1]
    raster, masked = race.frames
    assert (raster.order, masked.order) == ("raster", "confidence")
    assert len(raster.frames) == int(mask.sum()) + 1 and len(masked.frames) == 1 + 1  # ⌈3 steps × 25 of 100 pixels⌉
    assert race.duration == max(raster.seconds[-1], masked.seconds[-1])
    start, end = race.at(0.0), race.at(race.duration)
    assert all((f[mask] == sprites.num_colors).all() for f in start)  # at 0 s only the hole's grey
    assert all(np.array_equal(f, r.sprite) for f, r in zip(end, race.frames))  # at the end, each completion
    assert all((f[~mask] == sprite[~mask]).all() for f in end)


def test_only_raster_and_diffusion_models_race(entrants):
    sprites, _ = entrants
    task = vae.Task(vae.Config(width=8, hidden=16), sprites.palette.colors, (12, 12), torch.device("cpu"))
    with pytest.raises(ValueError, match="race"):
        CompletionRace().set_entrants([CompletionModel.of_task(task, "a VAE")])


def test_the_canvas_races_the_chosen_model_against_the_first_of_the_other_order(entrants):
    _, (raster, masked) = entrants
    assert race_entrants([raster, masked]) == [raster, masked]
    other = CompletionModel.of_task(raster.task, "another transformer")
    assert race_entrants([raster, other, masked], current=other) == [other, masked]
    with pytest.raises(ValueError, match="diffusion"):
        race_entrants([raster], current=raster)
    with pytest.raises(ValueError, match="PixelRNN or transformer"):
        race_entrants([masked])


def test_a_replayed_frame_shows_the_hole_as_a_checker_until_each_entrant_finishes(entrants):
    sprites, models = entrants
    race = CompletionRace()
    race.set_entrants(models)
    sprite, mask = sprites.indices[2], centre_hole((10, 10), 0.3)
    race.set_frames(race.run(sprite, mask, n=2, seed=0))
    start = race.rgb_at(0.0, sprites.palette)
    assert all(set(map(tuple, rgb[mask])) <= {(150, 150, 150), (200, 200, 200)} for rgb in start)
    assert race.finished(0.0) == [False, False] and race.finished(race.duration) == [True, True]
    end = race.rgb_at(race.duration, sprites.palette)
    assert all(np.array_equal(rgb, sprites.palette.to_rgb(f.sprite)) for rgb, f in zip(end, race.frames))
