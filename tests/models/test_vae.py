"""The VAE's loss terms on hand-computed cases, its training step, evaluation and the ae config."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

from studio.data.builtin import builtin_creatures
from studio.models import vae

TINY = dataclasses.replace(vae.LECTURE, width=8, hidden=16, kl_warmup_steps=0)


@pytest.fixture(scope="module")
def sprites():
    return builtin_creatures(n=48, seed=3)


def make_task(sprites, config=TINY) -> vae.Task:
    torch.manual_seed(0)
    return vae.Task(config, sprites.palette.colors, (sprites.height, sprites.width), torch.device("cpu"))


def batch(sprites, n=8) -> torch.Tensor:
    return torch.from_numpy(sprites.indices[:n]).long()


# --- the loss terms, by hand --------------------------------------------------------------
def test_kl_is_half_the_lectures_sum_with_sigma_as_log_variance():
    m = torch.tensor([[0.0, 1.0]])
    log_var = torch.tensor([[0.0, math.log(2.0)]])
    kl = vae.kl_divergence(m, log_var)
    # dim 0 is the prior itself; dim 1: ½(2 − (1 + ln 2) + 1) = 1 − ½ ln 2.
    assert kl[0, 0].item() == pytest.approx(0.0)
    assert kl[0, 1].item() == pytest.approx(1 - 0.5 * math.log(2))
    exact = torch.distributions.kl_divergence(torch.distributions.Normal(m, torch.exp(log_var / 2)),
                                              torch.distributions.Normal(0.0, 1.0))
    torch.testing.assert_close(kl, exact)


def test_reconstruction_is_the_per_pixel_cross_entropy_summed_over_the_sprite():
    # K = 2 colours, a 1×2 sprite: pixel 0 has p(colour 0) = ½, pixel 1 has p(colour 0) = ¾.
    logits = torch.tensor([[[[0.0, math.log(3.0)]], [[0.0, 0.0]]]])  # [B=1, K=2, H=1, W=2]
    x = torch.tensor([[[0, 0]]])
    assert vae.reconstruction_loss(logits, x).item() == pytest.approx(math.log(2) + math.log(4 / 3))
    x_other = torch.tensor([[[1, 1]]])
    assert vae.reconstruction_loss(logits, x_other).item() == pytest.approx(math.log(2) + math.log(4))


def test_kl_weight_ramps_linearly_to_beta_over_the_warm_up():
    cfg = vae.Config(beta=2.0, kl_warmup_steps=10)
    assert float(vae.kl_weight(cfg, 0)) == 0.0
    assert float(vae.kl_weight(cfg, 5)) == pytest.approx(1.0)
    assert float(vae.kl_weight(cfg, 10)) == pytest.approx(2.0)
    assert float(vae.kl_weight(cfg, 1000)) == pytest.approx(2.0)
    assert float(vae.kl_weight(vae.Config(beta=0.5, kl_warmup_steps=0), 0)) == 0.5
    assert vae.kl_weight(vae.CONFIGS["ae"], 1000) == 0.0


def test_bits_per_pixel_divides_nats_by_pixels_and_ln_2():
    assert float(vae.nats_to_bits_per_pixel(torch.tensor(400 * math.log(2)), (20, 20))) == pytest.approx(1.0)
    assert float(vae.nats_to_bits_per_pixel(torch.tensor(math.log(2)), (1, 2))) == pytest.approx(0.5)


# --- the training step and evaluation -------------------------------------------------------
def test_train_step_loss_is_recon_plus_weighted_kl_and_counts_warm_up_steps(sprites):
    task = make_task(sprites, dataclasses.replace(TINY, beta=3.0, kl_warmup_steps=4))
    first = task.train_step(task.modules(), batch(sprites))
    assert set(first) >= {"loss", "recon", "kl", "elbo_bits_per_pixel"}
    assert float(first["kl_weight"]) == 0.0 and float(first["loss"]) == pytest.approx(float(first["recon"]))
    assert float(first["kl"]) > 0
    second = task.train_step(task.modules(), batch(sprites))
    assert float(second["kl_weight"]) == pytest.approx(3.0 / 4)
    assert float(second["loss"]) == pytest.approx(float(second["recon"]) + 0.75 * float(second["kl"]), rel=1e-5)
    assert float(second["elbo_bits_per_pixel"]) == pytest.approx(
        (float(second["recon"]) + float(second["kl"])) / (400 * math.log(2)), rel=1e-5)
    # The warm-up's step count is part of the checkpoint, so a resumed run continues the ramp.
    assert int(task.vae.state_dict()["step"]) == 2


def test_evaluate_reports_held_out_elbo_as_recon_plus_kl_in_bits_per_pixel(sprites):
    task = make_task(sprites)
    scores = task.evaluate(batch(sprites, 16))
    assert scores["elbo_bits_per_pixel"] == pytest.approx(
        scores["recon_bits_per_pixel"] + scores["kl_bits_per_pixel"], rel=1e-5)
    assert scores["kl_bits_per_pixel"] > 0
    # Before training the decoder is near-uniform over K colours: about log2 K bits per pixel.
    assert scores["recon_bits_per_pixel"] == pytest.approx(math.log2(sprites.num_colors), rel=0.2)
    assert task.evaluate(batch(sprites, 16)) == scores  # seeded noise: a checkpoint always scores the same
    assert task.selection_metric == "elbo_bits_per_pixel"


def test_training_lowers_the_held_out_bound(sprites):
    task = make_task(sprites, dataclasses.replace(TINY, hidden=32, kl_warmup_steps=20, lr=1e-2))
    before = task.evaluate(batch(sprites, 16))["elbo_bits_per_pixel"]
    for _ in range(10):
        task.train_step(task.modules(), batch(sprites, 16))
    assert task.evaluate(batch(sprites, 16))["elbo_bits_per_pixel"] < before - 0.5


def test_the_palette_size_comes_from_the_data(course_dir):
    from studio.data import open_dataset

    course = open_dataset(course_dir)
    task = make_task(course)
    logits, _, _ = task.vae(batch(course, 2))
    assert logits.shape == (2, 167, 20, 20)


# --- the plain auto-encoder -------------------------------------------------------------------
def test_ae_config_has_no_kl_and_is_deterministic(sprites):
    task = make_task(sprites, dataclasses.replace(TINY, kl_warmup_steps=500, variational=False))
    x = batch(sprites)
    metrics = task.train_step(task.modules(), x)
    assert float(metrics["kl"]) == 0.0 and float(metrics["loss"]) == float(metrics["recon"])
    with torch.no_grad():
        first, m, _ = task.vae(x)
        again, _, _ = task.vae(x)
        torch.testing.assert_close(first, again, rtol=0, atol=0)  # no noise: c = m
        torch.testing.assert_close(first, task.vae.decoder(m), rtol=0, atol=0)
    scores = task.evaluate(x)
    assert "elbo_bits_per_pixel" not in scores and scores["recon_bits_per_pixel"] > 0
    assert task.selection_metric == "recon_bits_per_pixel"
    assert not vae.CONFIGS["ae"].variational


def test_draw_decodes_seeded_prior_codes_scaled_by_temperature(sprites):
    task = make_task(sprites)
    drawn = task.draw(6, seed=1)
    assert drawn.shape == (6, 20, 20) and drawn.dtype == np.uint8
    assert int(drawn.max()) < sprites.num_colors
    np.testing.assert_array_equal(drawn, task.draw(6, seed=1))
    zero = task.draw(3, seed=1, temperature=0.0)  # every code is the prior's mean
    np.testing.assert_array_equal(zero, task.decode(np.zeros((3, TINY.latent_dim))))


def test_bad_configs_are_refused():
    with pytest.raises(ValueError, match="latent_dim"):
        vae.Config(latent_dim=1)
    with pytest.raises(ValueError, match="divisible by 4"):
        vae.Task(TINY, np.zeros((3, 3), np.uint8), (18, 18), torch.device("cpu"))


# --- what the deeper presets add ------------------------------------------------------------
def test_free_bits_floor_each_dimensions_batch_mean_kl():
    kl = torch.tensor([[0.2, 3.0], [0.4, 1.0]])  # [B=2, D=2]: dimension means 0.3 and 2.0 nats
    assert float(vae.kl_penalty(kl, 0.0)) == pytest.approx(2.3)  # no floor: the true KL
    assert float(vae.kl_penalty(kl, 0.5)) == pytest.approx(0.5 + 2.0)  # dim 0 pays the floor, not less


def test_learning_rate_follows_a_half_cosine_to_lr_min_then_stays():
    cfg = dataclasses.replace(vae.LECTURE, lr=1e-3, lr_min=1e-4, lr_decay_steps=100)
    assert vae.learning_rate(cfg, 0) == pytest.approx(1e-3)
    assert vae.learning_rate(cfg, 50) == pytest.approx(5.5e-4)
    assert vae.learning_rate(cfg, 100) == pytest.approx(1e-4) and vae.learning_rate(cfg, 500) == pytest.approx(1e-4)
    assert vae.learning_rate(dataclasses.replace(vae.LECTURE, lr=2e-3), 10 ** 6) == 2e-3  # lr_decay_steps = 0: constant


def test_residual_resize_config_trains_and_sets_the_scheduled_learning_rate(sprites):
    cfg = dataclasses.replace(vae.LECTURE, width=8, hidden=16, blocks=1, upsample="resize", free_bits=0.5,
                              dropout=0.1, lr=1e-2, lr_min=1e-3, lr_decay_steps=4, mirror=True, kl_warmup_steps=0)
    task = make_task(sprites, cfg)
    assert any(isinstance(m, vae.ResidualBlock) for m in task.vae.decoder.modules())
    assert not any(isinstance(m, torch.nn.ConvTranspose2d) for m in task.vae.modules())
    before = task.evaluate(batch(sprites, 16))["elbo_bits_per_pixel"]
    lrs = [float(task.train_step(task.modules(), batch(sprites, 16))["lr"]) for _ in range(6)]
    assert lrs[0] == pytest.approx(1e-2) and lrs[-1] == pytest.approx(1e-3)
    assert task.evaluate(batch(sprites, 16))["elbo_bits_per_pixel"] < before - 0.5
    assert task.decode(np.zeros((2, cfg.latent_dim))).shape == (2, 20, 20)


def test_an_older_runs_config_rebuilds_the_network_its_checkpoint_holds():
    from studio.train.config import config_from_dict, saved_model_config

    # The fields a run saved before residual blocks existed: they must give the same network.
    old = {"latent_dim": 10, "width": 64, "hidden": 256, "embed_dim": 16, "variational": True,
           "beta": 1.0, "kl_warmup_steps": 500, "lr": 1e-3, "weight_decay": 0.0}
    config = config_from_dict(vae.Config, saved_model_config("vae", old, "config.json"))
    assert config == vae.CONFIGS["lecture"]
    net = vae.VAE(config, 167, (20, 20))
    shapes = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    assert shapes == {  # the state dict of that network, as its checkpoints hold it
        "step": (), "encoder.embed.weight": (167, 16),
        "encoder.convs.0.weight": (64, 16, 4, 4), "encoder.convs.0.bias": (64,),
        "encoder.convs.2.weight": (128, 64, 4, 4), "encoder.convs.2.bias": (128,),
        "encoder.head.1.weight": (256, 3200), "encoder.head.1.bias": (256,),
        "encoder.head.3.weight": (20, 256), "encoder.head.3.bias": (20,),
        "decoder.mlp.0.weight": (256, 10), "decoder.mlp.0.bias": (256,),
        "decoder.mlp.2.weight": (3200, 256), "decoder.mlp.2.bias": (3200,),
        "decoder.upsample.0.weight": (128, 64, 4, 4), "decoder.upsample.0.bias": (64,),  # transposed convs
        "decoder.upsample.2.weight": (64, 64, 4, 4), "decoder.upsample.2.bias": (64,),
        "decoder.upsample.4.weight": (167, 64, 1, 1), "decoder.upsample.4.bias": (167,)}


def test_presets_name_their_training_settings():
    from studio.train.settings import default_settings

    assert next(iter(vae.CONFIGS)) != "quick" and "quick" in vae.CONFIGS and "lecture" in vae.CONFIGS
    quick = default_settings("vae", "quick")
    assert quick.cpu_budget == 300 and quick.epochs == vae.PRESET_SETTINGS["quick"]["epochs"]
    assert default_settings("vae").epochs == vae.DEFAULT_EPOCHS


# --- autoregressive decoders: p(x | c) = Π_t p(x_t | x_<t, c) -------------------------------------
AUTOREGRESSIVE = {"local": dataclasses.replace(TINY, decoder="local", free_bits=0.5, grad_clip=1.0)}


@pytest.mark.parametrize("kind", list(AUTOREGRESSIVE))
def test_an_autoregressive_decoder_reads_only_earlier_pixels_and_steps_as_it_trains(sprites, kind):
    task = make_task(sprites, AUTOREGRESSIVE[kind])
    task.vae.eval()
    x, c = batch(sprites, 2), torch.randn(2, 10)
    with torch.no_grad():
        logits = task.vae.logits(c, x)  # teacher forcing, [B, K, H, W]
        changed = x.clone()
        changed[:, 7, 3] = (changed[:, 7, 3] + 1) % sprites.num_colors
        moved = task.vae.logits(c, changed)
    t = 7 * 20 + 3
    flat, flat_moved = logits.flatten(2), moved.flatten(2)
    torch.testing.assert_close(flat[..., :t + 1], flat_moved[..., :t + 1])  # pixel t and those before it
    assert not torch.allclose(flat[..., t + 1:], flat_moved[..., t + 1:])  # a later pixel reads it
    # The sampler's one-pixel steps (given the code) give the training pass's numbers.
    net = task.given(c).net
    tables, state, canvas = net.step_tables(), None, net.pad(x.reshape(2, -1))
    with torch.no_grad():
        for step in range(25):
            out, state = net.step(net.context(canvas, step, step + 1), step, state, tables)
            torch.testing.assert_close(out[:, 0], flat[..., step], rtol=1e-4, atol=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(AUTOREGRESSIVE))
def test_an_autoregressive_vae_trains_on_the_bound_and_decodes_the_same_sprite_for_the_same_code(sprites, kind):
    task = make_task(sprites, AUTOREGRESSIVE[kind])
    before = task.evaluate(batch(sprites, 16))
    for _ in range(4):
        metrics = task.train_step(task.modules(), batch(sprites, 16))
    assert float(metrics["elbo_bits_per_pixel"]) == pytest.approx(
        (float(metrics["recon"]) + float(metrics["kl"])) / (400 * math.log(2)), rel=1e-5)
    after = task.evaluate(batch(sprites, 16))
    assert after["elbo_bits_per_pixel"] == pytest.approx(after["recon_bits_per_pixel"] + after["kl_bits_per_pixel"],
                                                         rel=1e-5)
    assert after["elbo_bits_per_pixel"] < before["elbo_bits_per_pixel"]
    codes = np.random.default_rng(0).standard_normal((3, 10)).astype(np.float32)
    decoded = task.decode(codes)
    assert decoded.shape == (3, 20, 20) and decoded.dtype == np.uint8 and decoded.max() < sprites.num_colors
    np.testing.assert_array_equal(decoded[1:2], task.decode(codes[1:2]))  # whatever else is decoded with it
    drawn = task.draw(4, seed=2)
    np.testing.assert_array_equal(drawn, task.draw(4, seed=2))
    assert not np.array_equal(drawn, task.draw(4, seed=3))
