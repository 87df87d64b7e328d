"""The GAN: palette-native output, DiffAugment, its penalties, presets and old runs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from studio.models import gan
from studio.models.diffaugment import cutout, diff_augment, flip, translate
from studio.train.config import config_from_dict, config_to_dict
from studio.train.engine import Trainer, TrainSettings
from studio.train.settings import default_settings
from studio.train.trained import TrainedRun

TINY = gan.Config(z_dim=8, width=8, output="palette", augment="translation,cutout,flip")


def tiny_task(sprites, **changes) -> gan.Task:
    torch.manual_seed(0)
    return gan.Task(dataclasses.replace(TINY, **changes), sprites.palette.colors, (20, 20), torch.device("cpu"))


@pytest.mark.parametrize("output", ["snap", "palette", "gumbel"])
def test_palette_output_draws_palette_indices_by_construction(builtin_set, output):
    task = tiny_task(builtin_set, output=output)
    channels = 3 if output == "snap" else len(builtin_set.palette.colors)
    assert task.g(torch.randn(4, 8)).shape == (4, channels, 20, 20)
    drawn = task.draw(6, seed=1)
    assert drawn.shape == (6, 20, 20) and drawn.min() >= 0 and drawn.max() < len(builtin_set.palette.colors)
    assert np.array_equal(drawn, task.draw(6, seed=1))  # a code always gives the same sprite


def test_d_sees_the_palette_colour_a_confident_generator_chose(builtin_set):
    task = tiny_task(builtin_set)
    chosen = torch.randint(0, len(builtin_set.palette.colors), (2, 20, 20))
    logits = 50 * torch.nn.functional.one_hot(chosen, len(builtin_set.palette.colors)).permute(0, 3, 1, 2).float()
    assert torch.allclose(task.colours(logits), task.to_rgb(chosen), atol=1e-4)
    assert torch.allclose(tiny_task(builtin_set, output="gumbel").colours(logits), task.to_rgb(chosen), atol=1e-4)


def test_snap_shows_d_the_palette_colour_and_passes_gradients_straight_through(builtin_set):
    task = tiny_task(builtin_set, output="snap")
    chosen = torch.randint(0, len(builtin_set.palette.colors), (2, 20, 20))
    rgb = (task.to_rgb(chosen) + 0.01 * torch.randn(2, 3, 20, 20)).requires_grad_(True)
    seen = task.colours(rgb)
    assert torch.allclose(seen, task.to_rgb(chosen)) and torch.equal(task.nearest_colours(rgb), chosen)
    seen.sum().backward()
    assert torch.equal(rgb.grad, torch.ones_like(rgb))


def test_slots_give_each_sprite_at_most_its_few_colours_and_d_sees_them(builtin_set):
    task = tiny_task(builtin_set, output="slots", slots=3)
    logits, slot_rgb = task.g(torch.randn(4, 8))
    assert logits.shape == (4, 3, 20, 20) and slot_rgb.shape == (4, 3, 3)
    drawn = task.draw(6, seed=1)
    assert max(len(np.unique(sprite)) for sprite in drawn) <= 3
    assert np.array_equal(drawn, task.draw(6, seed=1))
    out = (logits.detach().requires_grad_(True), slot_rgb)
    seen = task.colours(out)  # exactly the drawn palette colours forward, gradients to the logits
    assert torch.allclose(seen, task.to_rgb(task.slot_indices(out)))
    seen.sum().backward()
    assert out[0].grad.abs().sum() > 0


def test_minibatch_std_keeps_real_and_fake_apart_in_its_groups():
    x = torch.cat([torch.zeros(4, 2, 5, 5), torch.randn(4, 2, 5, 5)])  # [identical real; varied fake]
    std = gan.MinibatchStd()(x)[:, -1, 0, 0]
    assert std.shape == (8,) and torch.all(std[:4] < 1e-3) and torch.all(std[4:] > 0.1)


def test_augmentations_keep_a_blank_sprite_blank_and_pass_gradients():
    blank = torch.ones(5, 3, 20, 20, requires_grad=True)
    for augment in (translate, flip):  # the uncovered border is filled with the background
        assert torch.equal(augment(blank), torch.ones(5, 3, 20, 20))
    holed = cutout(blank)
    assert ((holed == 0).flatten(1).sum(1) == 3 * 10 * 10).all()  # a 10×10 square in each sprite
    diff_augment(blank, "translation,cutout,flip").sum().backward()
    assert blank.grad is not None and blank.grad.abs().sum() > 0


def test_translation_moves_a_sprite_by_at_most_an_eighth_of_its_side():
    x = torch.zeros(64, 1, 20, 20)
    x[:, :, 10, 10] = 1
    rows, cols = torch.nonzero(translate(x)[:, 0, :, :] == 1, as_tuple=True)[1:]
    assert ((rows - 10).abs() <= 2).all() and ((cols - 10).abs() <= 2).all()
    assert len(set(zip(rows.tolist(), cols.tolist()))) > 5  # each sprite its own shift


def test_a_palette_gan_with_diffaugment_and_r1_trains_and_reloads(tmp_path, builtin_set):
    config = dataclasses.replace(TINY, r1_weight=1.0)
    settings = TrainSettings(epochs=2, batch_size=16, log_every=1, sample_every=0, checkpoint_every=0)
    summary = Trainer("gan", config, builtin_set, settings, tmp_path / "run").run_training()
    assert np.isfinite(summary["metrics"]["d_loss"]) and 0 < summary["metrics"]["g_confidence"] <= 1
    task = TrainedRun.open(tmp_path / "run", "last", device="cpu").task
    assert task.config == config and task.draw(3).shape == (3, 20, 20)


def test_a_run_saved_before_the_palette_fields_still_loads_as_the_rgb_gan(builtin_set):
    old = {k: v for k, v in config_to_dict(gan.Config(z_dim=8, width=8)).items()
           if k not in ("output", "augment", "r1_weight", "slots", "minibatch_std", "lr_decay_steps", "lr_end")}
    config = config_from_dict(gan.Config, old)
    task = gan.Task(config, builtin_set.palette.colors, (20, 20), torch.device("cpu"))
    assert config.output == "rgb" and task.g(torch.randn(2, 8)).shape == (2, 3, 20, 20)
    assert not config.minibatch_std and len(task.d.features) == 6  # D as it was
    assert config.lr_decay_steps == 0  # constant learning rates, as it trained


def test_learning_rates_decay_over_their_steps_and_a_resumed_run_continues_the_schedule(tmp_path, builtin_set):
    config = dataclasses.replace(TINY, lr_g=1e-3, lr_d=2e-3, lr_decay_steps=4, lr_end=0.1)
    settings = TrainSettings(epochs=2, batch_size=16, log_every=1, sample_every=0, checkpoint_every=0)
    Trainer("gan", config, builtin_set, settings, tmp_path / "run").run_training()  # 57 train sprites: 6 steps
    task = TrainedRun.open(tmp_path / "run", "last", device="cpu").task
    assert int(task.g_ema.n_averaged) == 6
    batch = torch.as_tensor(builtin_set.indices[:16], dtype=torch.long)
    task.train_step(task.modules(), batch)  # step 7, past the decay: both rates at a tenth
    assert task.opt_g.param_groups[0]["lr"] == pytest.approx(1e-4)
    assert task.opt_d.param_groups[0]["lr"] == pytest.approx(2e-4)
    fresh = tiny_task(builtin_set, lr_g=1e-3, lr_d=2e-3, lr_decay_steps=4, lr_end=0.1)
    fresh.train_step(fresh.modules(), batch)
    assert fresh.opt_g.param_groups[0]["lr"] == pytest.approx(1e-3)  # step 1: the full rate


def test_commitment_pulls_the_generators_colours_onto_the_palette_it_snaps_to(builtin_set):
    task = tiny_task(builtin_set, output="snap", augment="", commitment=10.0, lr_g=2e-3)
    batch = torch.as_tensor(builtin_set.indices[:16], dtype=torch.long)
    distances = [float(task.train_step(task.modules(), batch)["commitment"]) for _ in range(40)]
    assert distances[-1] < 0.5 * distances[0]  # Σ_pixels |rgb - snap(rgb)|², per sprite


def test_the_max_pool_head_has_no_weight_per_position_and_trains_and_reloads_with_mirrored_sprites(tmp_path, builtin_set):
    config = gan.Config(z_dim=8, width=8, output="snap", d_head="max-pool", commitment=0.1, mirror=True)
    d = gan.Discriminator(8, (20, 20), spectral_norm=False, head="max-pool")
    assert d.score.in_features == 2 * 8 * 4  # 2×2 pooled positions, not D's 5×5 map
    settings = TrainSettings(epochs=2, batch_size=16, log_every=1, sample_every=0, checkpoint_every=0)
    summary = Trainer("gan", config, builtin_set, settings, tmp_path / "run").run_training()
    assert np.isfinite(summary["metrics"]["d_loss"]) and summary["metrics"]["commitment"] > 0
    task = TrainedRun.open(tmp_path / "run", "last", device="cpu").task
    assert task.config == config and np.array_equal(task.draw(3, seed=2), task.draw(3, seed=2))


def test_bad_output_or_augmentation_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="palette"):
        gan.Config(output="hsv")
    with pytest.raises(ValueError, match="translation"):
        gan.Config(augment="translation,rotate")
    with pytest.raises(ValueError, match="max-pool"):
        gan.Config(d_head="attention")
    with pytest.raises(ValueError, match="snap"):
        gan.Config(output="palette", commitment=0.1)


def test_quick_preset_trains_within_five_cpu_minutes_and_the_default_is_palette_native():
    assert default_settings("gan", "quick").cpu_budget == 300
    assert default_settings("gan", next(iter(gan.CONFIGS))).cpu_budget == 600  # crisp: 10 CPU-minutes
    assert next(iter(gan.CONFIGS.values())).output != "rgb"  # D sees what a user sees
