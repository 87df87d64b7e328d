"""The canvas's "what the model thinks": a model, a sprite, the hovered pixel's report."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from studio.session.beliefs import SpriteInspector
from studio.session.pretrained import pretrained_run
from studio.train.trained import TrainedRun


@pytest.fixture(scope="module")
def shipped():
    return {m: TrainedRun.open(pretrained_run(m)) for m in ("pixelrnn", "transformer", "gan")}


def test_hovering_a_pixel_reports_its_odds_and_surprise(shipped):
    run = shipped["pixelrnn"]
    sprite = run.dataset().indices[11]
    inspector = SpriteInspector()
    events = []
    inspector.changed.connect(events.append)
    inspector.set_model(run.task, "PixelRNN")
    seen = inspector.inspect(sprite)
    log_p = float(run.task.log_likelihood(torch.from_numpy(sprite[None]))[0])
    assert seen.total_bits == pytest.approx(-log_p / math.log(2), rel=1e-4)
    pixel = inspector.hover(9, 10)
    assert pixel.colour == sprite[9, 10] and pixel.bits == pytest.approx(seen.surprise_bits[9, 10])
    assert len(pixel.top) == 5 and pixel.top[0][1] >= pixel.top[-1][1]
    true_p = 2 ** -pixel.bits
    assert (pixel.rank == 1) == (true_p >= pixel.top[0][1] - 1e-9)
    assert pixel.attention is None and not inspector.has_attention
    assert events == ["model", "beliefs", "hover"]
    with pytest.raises(ValueError, match="outside the 20×20"):
        inspector.hover(20, 0)


def test_the_transformer_shows_where_it_looked(shipped):
    run = shipped["transformer"]
    inspector = SpriteInspector()
    inspector.set_model(run.task)
    inspector.inspect(run.dataset().indices[2])
    mean = inspector.hover(6, 6).attention
    assert mean.weights.sum() + mean.other == pytest.approx(1, abs=1e-5)
    assert (mean.weights.ravel()[6 * 20 + 6:] == 0).all()
    inspector.set_attention(layer=0, head=1)
    one = inspector.hovered.attention
    assert one.how == "layer 1, head 2" and not np.allclose(one.weights, mean.weights)
    with pytest.raises(ValueError, match="2 layers and 2 heads"):
        inspector.set_attention(layer=5)


def test_models_without_pixel_odds_are_refused_in_words(shipped):
    with pytest.raises(ValueError, match="open a PixelRNN, transformer or diffusion run"):
        SpriteInspector().set_model(shipped["gan"].task)
    with pytest.raises(ValueError, match="choose a PixelRNN"):
        SpriteInspector().compute(np.zeros((20, 20), np.int64))
