"""The canvas's completion models without Qt: the chooser's list, the chosen model's variants,
and every model completing the same mask side by side."""

from __future__ import annotations

import numpy as np
import pytest

from studio.data import open_dataset
from studio.models import pixelrnn
from studio.models.completion import Cancelled
from studio.session.completion import CompletionModel, CompletionModels, compare, open_models
from studio.session.pretrained import SHIPPED, shipped_runs


@pytest.fixture(scope="module")
def sprites():
    return open_dataset("builtin:n=48,seed=3")


@pytest.fixture(scope="module")
def shipped():
    import torch

    torch.set_num_threads(1)  # a shared machine: more threads only wait for each other
    opened, failed = open_models(shipped_runs("builtin"))
    assert not failed
    return opened


def small_hole(shape) -> np.ndarray:
    mask = np.zeros(shape, bool)
    mask[9:12, 9:12] = True
    return mask


def test_every_model_ships_and_opens_for_the_chooser(shipped):
    assert [m.model for m in shipped] == list(SHIPPED)
    assert [m.title for m in shipped] == ["PixelRNN (built-in creatures)", "Transformer (built-in creatures)", "Diffusion (built-in creatures)",
                                          "VAE (built-in creatures)", "GAN (built-in creatures)"]
    assert all("shipped" in m.description for m in shipped)


def test_compare_completes_the_same_mask_with_every_model_timed(shipped, sprites):
    sprite, mask = sprites.indices[4], small_hole((sprites.height, sprites.width))
    started = []
    results = compare(shipped, sprite, mask, n=2, seed=0, started=started.append)
    assert started == [0, 1, 2, 3, 4]
    assert [r.title for r in results] == [m.title for m in shipped]
    for r in results:
        assert len(r.variants) == 2 and r.seconds > 0 and r.score_name
        assert np.array_equal(r.best.sprite[~mask], sprite[~mask])  # the visible pixels kept
        assert np.array_equal(r.mask, mask)
        assert r.best.score >= r.variants[1].score  # best first, by the model's own score
    assert results[0].score_name.startswith("log p(sprite)") and "committed" in results[2].score_name
    assert "log N(c" in results[3].score_name


def test_a_cancelled_comparison_stops_between_steps(shipped, sprites):
    seen = []
    with pytest.raises(Cancelled):
        compare(shipped, sprites.indices[0], small_hole((20, 20)), n=2, started=seen.append,
                cancel=lambda: len(seen) > 1)  # the second model never finishes
    assert seen == [0, 1]


def test_the_chooser_lists_chooses_and_replaces_a_reopened_run(shipped, sprites):
    models, events = CompletionModels(), []
    models.changed.connect(events.append)
    assert models.current is None
    for m in shipped:
        models.add(m, choose=m.model == "pixelrnn")
    assert models.current.model == "pixelrnn" and len(models.models) == 5
    assert events == ["models", "current", "models", "models", "models", "models"]
    result = models.current.complete(sprites.indices[1], small_hole((20, 20)), n=2, seed=1)
    models.set_variants(result)
    models.set_comparison([result])
    events.clear()
    models.choose(3)  # the VAE: pixelrnn's variants go, the comparison stays
    assert models.current.model == "vae" and models.variants is None and len(models.comparison) == 1
    assert events == ["current"]
    again = CompletionModel.open(shipped[4].path)  # the GAN reopened: same place, no duplicate
    assert models.add(again) == 4 and len(models.models) == 5 and models.current is again
    with pytest.raises(IndexError):
        models.choose(9)
    models.clear_results()
    assert models.variants is None and models.comparison == []


def test_models_of_another_palette_are_left_out_by_name(shipped, sprites):
    models = CompletionModels()
    for m in shipped:
        models.add(m)
    other = pixelrnn.Task(pixelrnn.Config(hidden=8, embed=4), sprites.palette.colors[:10], (20, 20), "cpu")
    models.add(CompletionModel.of_task(other, "ten colours"))
    usable, skipped = models.usable(sprites.palette.colors, (20, 20))
    assert [m.model for m in usable] == list(SHIPPED) and skipped == ["ten colours"]
    assert "another palette" in models.current.problem(sprites.palette.colors, (20, 20))
    assert "draws 20×20" in shipped[0].problem(sprites.palette.colors, (16, 16))


def test_a_folder_that_does_not_open_is_reported_with_its_path(tmp_path, shipped):
    (tmp_path / "empty").mkdir()
    opened, failed = open_models([shipped[0].path, tmp_path / "empty"])
    assert [m.model for m in opened] == ["pixelrnn"]
    assert failed[0][0] == tmp_path / "empty" and "no config.json" in str(failed[0][1])


def test_another_palette_on_the_canvas_switches_to_a_model_that_draws_it(shipped, sprites):
    """Opening the course's Pokémon while a built-in creatures' model is chosen: the canvas
    completes with a model of the new palette (the same family first), never a refused one."""
    models = CompletionModels()
    for m in shipped:
        models.add(m, choose=m.model == "transformer")
    ten = sprites.palette.colors[:10]
    other = pixelrnn.Task(pixelrnn.Config(hidden=8, embed=4), ten, (20, 20), "cpu")
    models.add(CompletionModel.of_task(other, "ten colours"), choose=False)
    assert models.current.model == "transformer"
    models.set_canvas(ten, (20, 20))
    assert models.current.title == "ten colours" and models.problem() is None
    models.set_canvas(sprites.palette.colors, (20, 20))
    assert models.current.model == "pixelrnn" and models.problem() is None  # the same family first
