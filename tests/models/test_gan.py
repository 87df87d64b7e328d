"""The GAN: palette-native output, the crisp default's parts, presets and old runs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from studio.models import gan
from studio.models.mirror import flip, shift
from studio.train.config import config_from_dict, saved_model_config
from studio.train.engine import Trainer, TrainSettings
from studio.train.settings import default_settings
from studio.train.trained import TrainedRun

TINY = dataclasses.replace(gan.DCGAN, z_dim=8, width=8, output="palette")


def tiny_task(sprites, **changes) -> gan.Task:
    torch.manual_seed(0)
    return gan.Task(dataclasses.replace(TINY, **changes), sprites.palette.colors, (20, 20), torch.device("cpu"))


@pytest.mark.parametrize("output", ["snap", "palette"])
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


def test_snap_shows_d_the_palette_colour_and_passes_gradients_straight_through(builtin_set):
    task = tiny_task(builtin_set, output="snap")
    chosen = torch.randint(0, len(builtin_set.palette.colors), (2, 20, 20))
    rgb = (task.to_rgb(chosen) + 0.01 * torch.randn(2, 3, 20, 20)).requires_grad_(True)
    seen = task.colours(rgb)
    assert torch.allclose(seen, task.to_rgb(chosen)) and torch.equal(task.nearest_colours(rgb), chosen)
    seen.sum().backward()
    assert torch.equal(rgb.grad, torch.ones_like(rgb))


def test_mirroring_flips_some_sprites_left_right_and_keeps_a_symmetric_one():
    blank = torch.ones(5, 3, 20, 20)
    assert torch.equal(flip(blank), blank)  # images [B, C, H, W]
    arrow = torch.arange(20).repeat(64, 20, 1)  # palette indices [B, H, W], each row 0 … 19
    flipped = flip(arrow)
    mirrored = (flipped[:, 0, 0] == 19)
    assert 0 < mirrored.sum() < 64 and torch.equal(flipped[mirrored], arrow[mirrored].flip(-1))
    assert torch.equal(flipped[~mirrored], arrow[~mirrored])


def test_a_palette_gan_trains_and_reloads(tmp_path, builtin_set):
    config = TINY
    settings = TrainSettings(epochs=2, batch_size=16, log_every=1, sample_every=0, checkpoint_every=0)
    summary = Trainer("gan", config, builtin_set, settings, tmp_path / "run").run_training()
    assert np.isfinite(summary["metrics"]["d_loss"]) and 0 < summary["metrics"]["g_confidence"] <= 1
    task = TrainedRun.open(tmp_path / "run", "last", device="cpu").task
    assert task.config == config and task.draw(3).shape == (3, 20, 20)


def test_a_run_saved_before_the_palette_fields_still_loads_as_the_rgb_gan(builtin_set):
    old = {"z_dim": 8, "width": 8, "loss": "nonsaturating", "spectral_norm": False, "lr_g": 2e-4, "lr_d": 2e-4,
           "betas": [0.5, 0.999], "gp_weight": 10.0, "ema_decay": 0.999, "upsample": "nearest"}  # as saved then
    config = config_from_dict(gan.Config, saved_model_config("gan", old, "config.json"))
    task = gan.Task(config, builtin_set.palette.colors, (20, 20), torch.device("cpu"))
    assert config.output == "rgb" and task.g(torch.randn(2, 8)).shape == (2, 3, 20, 20)
    assert config.d_head == "linear" and len(task.d.features) == 6  # D as it was
    assert not config.mirror and config.commitment == 0 and config.upsample == "resize"
    assert config == dataclasses.replace(gan.CONFIGS["dcgan"], z_dim=8, width=8)


def test_commitment_pulls_the_generators_colours_onto_the_palette_it_snaps_to(builtin_set):
    task = tiny_task(builtin_set, output="snap", commitment=10.0, lr_g=2e-3)
    batch = torch.as_tensor(builtin_set.indices[:16], dtype=torch.long)
    distances = [float(task.train_step(task.modules(), batch)["commitment"]) for _ in range(40)]
    assert distances[-1] < 0.5 * distances[0]  # Σ_pixels |rgb - snap(rgb)|², per sprite


def test_the_max_pool_head_has_no_weight_per_position_and_trains_and_reloads_with_mirrored_sprites(tmp_path, builtin_set):
    config = dataclasses.replace(gan.DCGAN, z_dim=8, width=8, output="snap", d_head="max-pool", commitment=0.1, mirror=True)
    d = gan.Discriminator(8, (20, 20), spectral_norm=False, head="max-pool")
    assert d.score.in_features == 2 * 8 * 4  # 2×2 pooled positions, not D's 5×5 map
    settings = TrainSettings(epochs=2, batch_size=16, log_every=1, sample_every=0, checkpoint_every=0)
    summary = Trainer("gan", config, builtin_set, settings, tmp_path / "run").run_training()
    assert np.isfinite(summary["metrics"]["d_loss"]) and summary["metrics"]["commitment"] > 0
    task = TrainedRun.open(tmp_path / "run", "last", device="cpu").task
    assert task.config == config and np.array_equal(task.draw(3, seed=2), task.draw(3, seed=2))


def test_shift_moves_each_sprite_whole_fills_the_border_with_background_and_passes_gradients():
    torch.manual_seed(0)
    x = torch.rand(64, 3, 20, 20).requires_grad_(True)
    background = torch.tensor([1.0, 0.5, -1.0])
    y = shift(x, 2, background)
    assert y.shape == x.shape
    seen = set()
    for i in range(64):  # every output is the input moved by some (dy, dx) in -2..2, border filled
        found = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                 if torch.equal(y[i, :, max(dy, 0):20 + min(dy, 0), max(dx, 0):20 + min(dx, 0)],
                                x[i, :, max(-dy, 0):20 - max(dy, 0), max(-dx, 0):20 - max(dx, 0)])]
        assert len(found) == 1
        dy, dx = found[0]
        seen.add((dy, dx))
        border = torch.ones(20, 20, dtype=torch.bool)
        border[max(dy, 0):20 + min(dy, 0), max(dx, 0):20 + min(dx, 0)] = False
        assert torch.equal(y[i][:, border], background[:, None].expand(3, int(border.sum())))
    assert len(seen) > 5  # each sprite draws its own offset
    y.sum().backward()  # G learns through the shift: each pixel that stays in view counts once
    assert set(x.grad.unique().tolist()) <= {0.0, 1.0} and x.grad.sum() > 0


def test_a_shifting_discriminator_trains_and_reloads_and_only_the_long_preset_shifts(tmp_path, builtin_set):
    config = dataclasses.replace(gan.Config(), z_dim=8, width=8, shift=2)
    settings = TrainSettings(epochs=2, batch_size=16, log_every=1, sample_every=0, checkpoint_every=0)
    summary = Trainer("gan", config, builtin_set, settings, tmp_path / "run").run_training()
    assert np.isfinite(summary["metrics"]["d_loss"]) and np.isfinite(summary["metrics"]["g_loss"])
    assert TrainedRun.open(tmp_path / "run", "last", device="cpu").task.config.shift == 2
    # slower at a learner's budget; the long preset is the shipped course model's recipe
    assert {name for name, c in gan.CONFIGS.items() if c.shift} == {"long"}
    assert default_settings("gan", "long").cpu_budget > default_settings("gan", "crisp").cpu_budget
    with pytest.raises(ValueError, match="shift"):
        gan.Config(shift=5)


def test_a_bad_output_head_or_upsampling_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="palette"):
        gan.Config(output="hsv")
    with pytest.raises(ValueError, match="resize"):
        gan.Config(upsample="transpose")
    with pytest.raises(ValueError, match="max-pool"):
        gan.Config(d_head="attention")
    with pytest.raises(ValueError, match="snap"):
        gan.Config(output="palette", commitment=0.1)
    with pytest.raises(TypeError):  # measured worse and removed (shift is its translation): docs/history.md
        gan.Config(augment="translation,cutout,flip")


def test_quick_preset_trains_within_five_cpu_minutes_and_the_default_is_palette_native():
    assert default_settings("gan", "quick").cpu_budget == 300
    assert default_settings("gan", next(iter(gan.CONFIGS))).cpu_budget == 600  # crisp: 10 CPU-minutes
    assert next(iter(gan.CONFIGS.values())).output != "rgb"  # D sees what a user sees
