"""What PixelRNN and the transformer share (studio/models/autoregressive.py): causality, and the
SMC completion that uses the pixels after the hole, through the one stepping interface."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from studio.data import open_dataset
from studio.models import pixelrnn, transformer
from studio.models.completion import complete, run_sampler

MODELS = {"pixelrnn": (pixelrnn, dict(hidden=16, embed=8, context="2d", position=True, copy=True)),
          "transformer": (transformer, dict(n_embd=16, n_head=2, n_layer=2, position="2d", context="2d",
                                            copy=True))}


@pytest.fixture(scope="module", params=list(MODELS))
def task(request):
    module, fields = MODELS[request.param]
    sprites = open_dataset("builtin:n=32,size=10,seed=3")
    torch.manual_seed(0)
    task = module.Task(module.Config(**fields), sprites.palette.colors, (10, 10), torch.device("cpu"))
    for _ in range(3):
        task.train_step(task.modules(), torch.from_numpy(sprites.indices[:16]).long())
    task.net.eval()
    return task, sprites


def test_the_model_is_causal_a_pixel_never_sees_itself_or_later_ones(task):
    task, sprites = task
    net = task.net
    canvas = torch.from_numpy(sprites.indices[:1].reshape(1, -1)).long()
    t = 37
    changed = canvas.clone()
    changed[:, t:] = (changed[:, t:] + 1) % task.num_colors
    with torch.no_grad():
        before, _ = net(net.context(net.pad(canvas), 0, net.num_pixels))
        after, _ = net(net.context(net.pad(changed), 0, net.num_pixels))
    assert torch.allclose(before[:, :t + 1], after[:, :t + 1], atol=1e-5)  # p(x_s | x_<s), s ≤ t, untouched
    assert not torch.allclose(before[:, t + 1:], after[:, t + 1:])  # and later pixels do read them


@pytest.fixture(scope="module", params=list(MODELS))
def copy_task(request):
    """A model trained on 1×3 sprites [a, 0, a], a ∈ {1, 2, 3}: the last pixel repeats the first.

    Hiding the first pixel, only the *last* (visible, after the hole) tells which colour it is.
    """
    module, _ = MODELS[request.param]
    fields = dict(hidden=16, embed=8) if module is pixelrnn else dict(n_embd=16, n_head=2, n_layer=1, dropout=0.0)
    torch.manual_seed(0)
    task = module.Task(module.Config(**fields, lr=1e-2), np.zeros((4, 3), np.uint8), (1, 3), torch.device("cpu"))
    first = torch.randint(1, 4, (64,))
    data = torch.stack([first, torch.zeros_like(first), first], 1)[:, None, :]
    for _ in range(300 if module is transformer else 400):
        task.train_step(task.modules(), data)
    task.net.eval()
    assert task.evaluate(data)["bits_per_pixel"] < (math.log2(3) + 0.3) / 3  # it learnt the copy
    return task


def test_completion_uses_the_visible_pixels_after_the_hole(copy_task):
    mask = np.array([[True, False, False]])
    for colour in (1, 2, 3):
        sprite = np.array([[0, 0, colour]], np.uint8)
        variants = complete(copy_task, sprite, mask, n_variants=8, seed=colour)
        firsts = [int(v.sprite[0, 0]) for v in variants]
        # The posterior puts ~99.9 % on the right colour; a plain pass would get a third right.
        assert firsts[0] == colour and firsts.count(colour) >= 7, firsts
        # A plain raster pass cannot see the last pixel: it guesses among the three colours.
        plain = run_sampler(copy_task, sprite, mask.reshape(-1), 32, resample=False,
                            generator=torch.Generator().manual_seed(colour))
        assert (plain.canvas[:, 0] != colour).any()
