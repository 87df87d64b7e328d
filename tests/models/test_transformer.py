"""The transformer: likelihood, the KV cache's one position per pixel, completion, HW4's task."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from studio.cli import main as studio_main
from studio.data import open_dataset
from studio.models import transformer
from studio.models.completion import complete, given_first, run_sampler
from studio.train.engine import Trainer
from studio.train.settings import default_settings
from studio.train.run import RunDir

TINY = transformer.Config(n_embd=16, n_head=2, n_layer=2)
TINY_2D_COPY = transformer.Config(n_embd=16, n_head=2, n_layer=2, position="2d", context="2d", copy=True,
                                  mirror=True)
DATA = "builtin:n=32,size=10,seed=3"  # 100 pixels


@pytest.fixture(scope="module")
def sprites():
    return open_dataset(DATA)


@pytest.fixture(scope="module", params=[TINY, TINY_2D_COPY], ids=["gpt2-shape", "2d-copy"])
def task(request, sprites):
    torch.manual_seed(0)
    task = transformer.Task(request.param, sprites.palette.colors, (sprites.height, sprites.width),
                            torch.device("cpu"))
    batch = torch.from_numpy(sprites.indices[:16]).long()
    for _ in range(3):
        task.train_step(task.modules(), batch)
    task.net.eval()
    return task


def test_hw4_is_the_course_sample_shape_and_optimiser():
    config = transformer.CONFIGS["hw4"]
    task = transformer.Task(config, np.zeros((167, 3), np.uint8), (20, 20), torch.device("cpu"))
    assert (config.n_embd, config.n_head, config.n_layer) == (64, 2, 2)
    assert task.net.input.pos_embed.num_embeddings == 400  # GPT-2's n_positions
    assert isinstance(task.opt, torch.optim.AdamW)
    assert task.opt.param_groups[0]["lr"] == 1e-3 and task.opt.param_groups[0]["weight_decay"] == 0.1
    settings = default_settings("transformer", "hw4")
    assert (settings.batch_size, settings.epochs) == (16, 50)
    # No preset named: the default one's settings, as its config is the default config.
    assert default_settings("transformer").batch_size == default_settings("transformer", "2d-copy").batch_size == 16


def test_the_output_layer_is_the_colour_embedding(task, sprites):
    # Weight tying: raising colour k's embedding along the final features raises only k's logit.
    net = task.net
    canvas = torch.from_numpy(sprites.indices[:1].reshape(1, -1)).long()
    tokens = net.context(net.pad(canvas), 0, net.num_pixels)
    with torch.no_grad():
        before, _ = net(tokens)
        saved = net.input.embed.weight.clone()
        net.input.embed.weight[3] += 0.5
        after, _ = net(tokens)
        net.input.embed.weight.copy_(saved)
    assert not torch.allclose(before[..., 3], after[..., 3])
    assert not any("head" in name and "copy" not in name for name, _ in net.named_parameters())


def test_the_kv_cache_gives_the_whole_sequence_likelihood_one_position_per_pixel(task, sprites):
    sprite = sprites.indices[5]
    h, w = task.size
    task.net.steps = 0
    drawn = run_sampler(task, sprite, np.ones(sprite.size, bool), 1, resample=False)
    assert task.net.steps == h * w  # one position per pixel: the prefix is never re-run
    expected = float(task.log_likelihood(drawn.canvas.reshape(1, h, w))[0])
    assert float(drawn.log_joint[0]) == pytest.approx(expected, abs=1e-3)
    # Visible runs and single steps mixed (a brush-like mask), with SMC's resampling between.
    mask = np.zeros((h, w), bool)
    mask[2:8, 3:6] = True
    task.net.steps = 0
    variants = complete(task, sprite, mask, n_variants=4, seed=0)
    assert task.net.steps == h * w
    for v in variants:
        assert np.array_equal(v.sprite[~mask], sprite[~mask])
        assert v.log_likelihood == pytest.approx(float(task.log_likelihood(torch.from_numpy(v.sprite[None]))[0]),
                                                 abs=1e-3)


def test_a_late_position_without_its_cache_is_refused(task):
    tokens = torch.zeros(1, 1, task.net.input.num_neighbours, dtype=torch.long)
    with pytest.raises(ValueError, match="KV cache"):
        task.net(tokens, 5, None)


def test_the_hw4_mask_gives_the_first_60_percent():
    mask = given_first((20, 20), 0.6)
    assert not mask.reshape(-1)[:240].any() and mask.reshape(-1)[240:].all()


@pytest.fixture(scope="module")
def tiny_run(train_tiny, sprites):
    return train_tiny("transformer", TINY_2D_COPY, sprites)


def test_training_logs_both_held_out_scores_and_resumes(tiny_run, sprites):
    held = [r for r in RunDir(tiny_run).metrics() if "val/bits_per_pixel" in r]
    assert len(held) == 2 and all(0 < r["val/bits_per_pixel_after_60pct"] < math.log2(40) for r in held)
    trainer = Trainer.resume(tiny_run, epochs=3)
    assert trainer.state.step == 2 * trainer.steps_per_epoch
    assert trainer.run_training()["status"] == "finished"


def test_cli_completes_the_held_out_sprites_in_hw4s_format(tiny_run, sprites, tmp_path, capsys):
    out = tmp_path / "out.txt"
    assert studio_main(["complete", str(tiny_run), "--first", "0.6", "--held-out", "-n", "2",
                        "-o", str(out), "--seed", "0"]) == 0
    lines = out.read_text().split("\n")
    _, held = sprites.split()
    assert len(lines) == len(held)
    completed = np.array([[int(v) for v in line.split(" ")] for line in lines])
    assert completed.shape == (len(held), 100)
    assert np.array_equal(completed[:, :60], sprites.indices[held].reshape(len(held), -1)[:, :60])
    assert completed.max() < sprites.num_colors
    assert "held-out sprites" in capsys.readouterr().out
    png = tmp_path / "one.png"
    assert studio_main(["complete", str(tiny_run), "--index", "2", "--first", "0.6", "-n", "2",
                        "-o", str(png)]) == 0 and png.is_file()
    variants = tmp_path / "variants.txt"
    assert studio_main(["complete", str(tiny_run), "--index", "2", "--first", "0.6", "-n", "3",
                        "-o", str(variants)]) == 0
    assert len(variants.read_text().split("\n")) == 3
    assert studio_main(["complete", str(tiny_run), "--held-out", "--first", "0.6", "-o", str(png)]) == 2
    assert "FILE.txt" in capsys.readouterr().err
    assert studio_main(["eval", str(tiny_run)]) == 0
    assert "bits_per_pixel_after_60pct" in capsys.readouterr().out
