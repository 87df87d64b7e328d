"""Completion with every model (studio/models/inpainting.py): visible pixels kept, n ranked
variants, repeatable from a seed, and the code fits (VAE, GAN) really fit the visible pixels."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from studio.data import open_dataset
from studio.models import gan, pixelrnn, transformer, vae
from studio.models.completion import centre_hole, cover_bottom, random_pixels
from studio.models.inpainting import completer_for

DATA = "builtin:n=32,size=12,seed=3"  # 12×12: the VAE and GAN need sides divisible by 4
TINY = {"pixelrnn": (pixelrnn, pixelrnn.Config(hidden=16, embed=8, context="2d", position=True)),
        "transformer": (transformer, transformer.Config(n_embd=16, n_head=2, n_layer=1)),
        "vae": (vae, dataclasses.replace(vae.LECTURE, width=8, hidden=16, kl_warmup_steps=0)),
        # An autoregressive decoder given the encoder's code: completed by the SMC.
        "vae-local": (vae, dataclasses.replace(vae.LECTURE, width=8, hidden=16, kl_warmup_steps=0, decoder="local")),
        "gan": (gan, dataclasses.replace(gan.DCGAN, z_dim=8, width=8)),  # RGB out: the context loss is a colour distance
        "gan-palette": (gan, dataclasses.replace(gan.DCGAN, z_dim=8, width=8, output="palette"))}  # logits: a likelihood


def make_task(sprites, name):
    torch.manual_seed(0)
    module, config = TINY[name]
    return module.Task(config, sprites.palette.colors, (sprites.height, sprites.width), torch.device("cpu"))


@pytest.fixture(scope="module")
def sprites():
    return open_dataset(DATA)


@pytest.fixture(scope="module", params=list(TINY))
def task(request, sprites):
    task = make_task(sprites, request.param)
    batch = torch.from_numpy(sprites.indices[:16]).long()
    for _ in range(5):
        task.train_step(task.modules(), batch)
    return task


MASKS = {"centre hole": lambda size: centre_hole(size, 0.25), "cover 50 %": lambda size: cover_bottom(size, 0.5),
         "random 50 %": lambda size: random_pixels(size, 0.5, seed=1)}


@pytest.mark.parametrize("kind", list(MASKS))
def test_completion_keeps_the_visible_pixels_and_ranks_n_variants(task, sprites, kind):
    mask, sprite = MASKS[kind](task.size), sprites.indices[5]
    completer = completer_for(task)
    variants = completer.complete(sprite, mask, n=5, seed=1)
    assert len(variants) == 5
    for v in variants:
        assert v.sprite.shape == task.size and v.sprite.dtype == np.uint8
        assert np.array_equal(v.sprite[~mask], sprite[~mask])
        assert v.sprite[mask].max() < len(sprites.palette)
    scores = [v.score for v in variants]
    assert scores == sorted(scores, reverse=True) and all(np.isfinite(scores))
    assert completer.score_name


def test_a_seed_makes_completions_repeatable(task, sprites):
    completer, mask = completer_for(task), random_pixels(task.size, 0.5, seed=2)
    first, again = (completer.complete(sprites.indices[3], mask, n=4, seed=7) for _ in range(2))
    assert all(np.array_equal(a.sprite, b.sprite) and a.score == b.score for a, b in zip(first, again))
    # Another seed, other random starts (or particles): with nothing visible to pull them
    # together, other variants.
    everything = np.ones(task.size, bool)
    one, two = (completer.complete(sprites.indices[3], everything, n=4, seed=s) for s in (7, 8))
    assert [v.score for v in one] != [v.score for v in two]


@pytest.mark.parametrize("model", ["vae", "gan", "gan-palette"])
def test_the_code_fit_explains_the_visible_pixels_better_than_a_random_code(sprites, model):
    """The optimised code's loss on the sprite's own visible pixels is below that of the
    random codes it started from (fitting does something, whatever the training)."""
    task = make_task(sprites, model)
    completer = completer_for(task)
    sprite, mask = sprites.indices[2], cover_bottom(task.size, 0.5)
    x, visible = torch.from_numpy(sprite).long(), torch.from_numpy(~mask)
    random_codes = torch.randn(16, completer.code_dim, generator=torch.Generator().manual_seed(0))
    with completer.frozen(), torch.no_grad():  # the nets as the fit sees them (eval mode)
        random_loss = completer.loss(random_codes, x, visible)
    best = completer.complete(sprite, mask, n=1, seed=0)[0]
    assert -best.score < float(random_loss.min())


def test_a_model_without_completion_says_so():
    from studio.models.toygan import ToyGan

    with pytest.raises(ValueError, match="no completion for toygan models"):
        completer_for(ToyGan())


@pytest.mark.parametrize("model", ["vae", "gan"])
def test_cli_complete_works_for_a_code_model_run(tmp_path, sprites, model, capsys):
    from PIL import Image

    from studio.cli import main as studio_main
    from studio.train.engine import Trainer, TrainSettings

    run_dir = tmp_path / model
    settings = TrainSettings(epochs=1, batch_size=16, log_every=1, sample_every=0, sample_count=4)
    Trainer(model, TINY[model][1], sprites, settings, run_dir).run_training()
    out = tmp_path / "complete.png"
    assert studio_main(["complete", str(run_dir), "--index", "3", "--random", "0.5", "-n", "3",
                        "-o", str(out), "--seed", "1", "--scale", "1"]) == 0
    side = sprites.height
    row = np.asarray(Image.open(out))
    assert row.shape[1] == 5 * (side + 1) + 1  # sprite, mask, 3 variants; 1 px gaps
    visible = ~random_pixels((side, side), 0.5, seed=1)  # --random draws its pixels from --seed
    first_variant = row[1:side + 1, 2 * (side + 1) + 1:3 * (side + 1)]
    assert np.array_equal(first_variant[visible], sprites.rgb(3)[visible])
    assert "3 completions" in capsys.readouterr().out
