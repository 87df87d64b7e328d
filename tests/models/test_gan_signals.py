"""GAN signals: diversity, memorisation, MMD, walks; logged by the GAN and the walk command."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch
from PIL import Image

from studio.cli import main
from studio.data import open_dataset
from studio.models import gan, gan_signals
from studio.models.gan_signals import (diversity, median_bandwidth, mmd, nearest_training_sprites,
                                       sample_signals, sprite_features)
from studio.models.gan_walk import interpolate, lerp, random_codes, slerp, walk_codes
from studio.train.engine import Trainer, TrainSettings


@pytest.fixture(scope="module")
def sprites():
    return open_dataset("builtin:n=48,seed=3")


def test_identical_samples_have_zero_diversity_and_distinct_ones_do_not(sprites):
    same = np.repeat(sprites.indices[:1], 10, axis=0)
    assert diversity(sprite_features(same, sprites.palette)) == 0
    assert diversity(sprite_features(sprites.indices[:10], sprites.palette)) > 5


def test_distance_is_rms_delta_e_per_pixel(sprites):
    a = np.zeros((1, 4, 4), np.uint8)
    b = a.copy()
    b[0, 0, :] = 1  # a quarter of the pixels change colour
    delta_e = np.linalg.norm(sprites.palette.lab[0] - sprites.palette.lab[1])
    d = gan_signals.pairwise_distances(sprite_features(a, sprites.palette), sprite_features(b, sprites.palette))
    assert float(d) == pytest.approx(delta_e * 0.5, rel=1e-5)  # sqrt(4/16 · ΔE²)


def test_real_against_real_has_ratio_near_one_and_small_mmd():
    real = open_dataset("builtin:n=400,seed=1")
    half = len(real) // 2
    signals = sample_signals(real.indices[:half], real.indices[half:], real.palette)
    assert signals["diversity_ratio"] == pytest.approx(1, abs=0.05)
    collapsed = sample_signals(np.repeat(real.indices[:1], half, axis=0), real.indices[half:], real.palette)
    assert collapsed["diversity_ratio"] == 0 < 0.5
    assert collapsed["mmd"] > 10 * signals["mmd"]


def test_mmd_of_a_set_with_itself_is_zero_and_grows_with_a_shift():
    x = torch.randn(100, 8, generator=torch.Generator().manual_seed(0))
    sigma = median_bandwidth(x)
    assert mmd(x, x, sigma) == pytest.approx(0, abs=1e-6)
    shifts = [mmd(x, x + s, sigma) for s in (0.25, 0.5, 1.0)]
    assert 0 < shifts[0] < shifts[1] < shifts[2]


def test_a_sample_equal_to_a_training_sprite_is_found_at_distance_zero(sprites):
    train = sprites.indices[:30]
    samples = np.stack([train[23], sprites.indices[40]])
    samples[1, 0, 0] = (samples[1, 0, 0] + 1) % len(sprites.palette)  # not a copy of anything
    indices, distances = nearest_training_sprites(samples, train, sprites.palette)
    assert indices[0] == 23 and distances[0] == 0
    assert distances[1] > 0


def test_slerp_hits_the_endpoints_and_keeps_the_norm_that_lerp_loses():
    a, b = random_codes(2, 64, seed=0)
    b = b * a.norm() / b.norm()  # same norm, so slerp's whole path keeps it
    assert torch.allclose(slerp(a, b, 0.0), a, atol=1e-5) and torch.allclose(slerp(a, b, 1.0), b, atol=1e-5)
    path = interpolate(a, b, 11, spherical=True)
    assert torch.allclose(path.norm(dim=1), a.norm().expand(11), rtol=1e-4)
    assert lerp(a, b, 0.5).norm() < 0.85 * a.norm()  # near-orthogonal codes: the line dips inside


def test_walk_is_a_seeded_closed_loop():
    codes = walk_codes(4, 40, seed=3, z_dim=16)
    assert codes.shape == (40, 16)
    assert torch.equal(codes, walk_codes(4, 40, seed=3, z_dim=16))
    waypoints = random_codes(4, 16, seed=3)
    assert torch.allclose(codes[0], waypoints[0]) and torch.allclose(codes[10], waypoints[1], atol=1e-5)
    with pytest.raises(ValueError, match="2 waypoints"):
        walk_codes(1, 10, seed=0, z_dim=16)


def test_training_logs_diversity_and_mmd_to_metrics_jsonl(tmp_path, sprites):
    settings = TrainSettings(epochs=2, batch_size=16, log_every=1, sample_every=0, checkpoint_every=0)
    Trainer("gan", dataclasses.replace(gan.DCGAN, z_dim=8, width=8), sprites, settings, tmp_path / "run").run_training()
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in records if "val/mmd" in r]
    assert len(evals) == 2
    for key in ("val/diversity", "val/diversity_real", "val/diversity_ratio", "val/mmd"):
        assert np.isfinite(evals[-1][key])
    assert all("d_grad_norm" in r and "g_grad_norm" in r for r in records if "d_loss" in r)


def test_a_collapsed_generator_reports_a_ratio_far_below_one(sprites):
    task = gan.Task(dataclasses.replace(gan.DCGAN, z_dim=8, width=8), sprites.palette.colors, (20, 20), torch.device("cpu"))
    constant = torch.full((1, 3, 20, 20), 0.3)
    task.g_ema = lambda z: constant.expand(len(z), -1, -1, -1)  # every code → one sprite
    task.g_ema.eval = lambda: None
    held = torch.from_numpy(sprites.indices[:10]).long()
    assert task.evaluate(held)["diversity_ratio"] < 0.01


def test_walk_command_writes_a_gif_of_the_asked_length(tmp_path, sprites, capsys):
    settings = TrainSettings(epochs=1, batch_size=16, sample_every=0)
    Trainer("gan", dataclasses.replace(gan.DCGAN, z_dim=8, width=8), sprites, settings, tmp_path / "run").run_training()
    out = tmp_path / "walk.gif"
    assert main(["walk", str(tmp_path / "run"), "--steps", "12", "-o", str(out), "--scale", "2",
                 "--frame-ms", "50", "--linear"]) == 0
    assert "12-frame linear walk" in capsys.readouterr().out
    gif = Image.open(out)
    durations = []
    for k in range(gif.n_frames):  # identical neighbours are merged into one longer frame
        gif.seek(k)
        durations.append(gif.info["duration"])
    assert sum(durations) == 12 * 50 and gif.size == (40, 40)


def test_walk_command_refuses_a_missing_run(tmp_path, capsys):
    assert main(["walk", str(tmp_path / "nothing"), "-o", str(tmp_path / "w.gif")]) == 2
    assert "nothing" in capsys.readouterr().err
