"""The 1-D toy GAN: data, densities and D's curve; G learns to move onto the data."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from studio.cli import main
from studio.models.toygan import MIXTURES, ToyGan, kde, wasserstein_1d


@pytest.mark.parametrize("name", list(MIXTURES))
def test_each_mixture_gives_a_snapshot_of_densities_and_a_curve(name):
    snap = ToyGan(name, seed=0).step(2)
    width = np.diff(snap.bin_edges)
    assert snap.step == 2
    assert (snap.data_density * width).sum() == pytest.approx(1, abs=0.02)  # most data inside the span
    assert snap.generator_density.shape == snap.discriminator.shape == snap.grid.shape
    assert ((snap.discriminator > 0) & (snap.discriminator < 1)).all()


def test_generator_moves_toward_two_gaussians():
    toy = ToyGan("two gaussians", seed=0)
    before, before_spread = toy.snapshot(), toy.generate().std()
    after = toy.step(400)
    data_spread = toy.reference.std()
    # Closer in distribution (earth mover's distance) and in spread: the two modes at ±2 are
    # much wider apart than G's initial narrow blob.
    assert after.distance < 0.6 * before.distance
    assert abs(toy.generate().std() - data_spread) < abs(before_spread - data_spread)


def test_kde_integrates_to_one_and_peaks_at_the_samples():
    grid = np.linspace(-5, 5, 201)
    density = kde(np.random.default_rng(0).normal(1.0, 0.3, 2000), grid)
    assert (density * (grid[1] - grid[0])).sum() == pytest.approx(1, abs=0.01)
    assert grid[density.argmax()] == pytest.approx(1.0, abs=0.15)


def test_wasserstein_of_a_shift_is_the_shift():
    a = np.random.default_rng(0).normal(size=500)
    assert wasserstein_1d(a, a + 0.7) == pytest.approx(0.7)
    assert wasserstein_1d(a, a) == 0


def test_unknown_mixture_is_named():
    with pytest.raises(ValueError, match="two gaussians"):
        ToyGan("four moons")


def test_toygan_command_writes_a_png(tmp_path, capsys):
    out = tmp_path / "toy.png"
    assert main(["toygan", "--steps", "20", "-o", str(out), "--mixture", "skewed", "--seed", "2"]) == 0
    assert Image.open(out).size == (800, 520)
    assert "after 20 steps" in capsys.readouterr().out
    assert main(["toygan", "--steps", "1", "-o", str(out), "--mixture", "moons"]) == 2


# --- the GAN Lab-rich toy: losses, 2-D data, stepping one side, drawn data ---------------------
import math  # noqa: E402

import torch  # noqa: E402

from studio.models.toygan import (LOSSES, SHAPES, Drawn, ToyConfig, ToySnapshot2D, d_loss, g_loss,  # noqa: E402
                                  gradient_penalty, mode_coverage)


def _t(*values):
    return torch.tensor(values, dtype=torch.float64)


def test_the_four_losses_on_hand_checkable_scores():
    real, fake = _t(2.0), _t(-1.0)
    log_real, log_fake = math.log(1 + math.exp(-2)), math.log(1 + math.exp(-1))  # −log σ(2), −log(1 − σ(−1))
    for loss in ("minimax", "non-saturating"):  # the same D: −log σ(s_real) − log(1 − σ(s_fake))
        assert float(d_loss(loss, real, fake)) == pytest.approx(log_real + log_fake)
    assert float(g_loss("minimax", fake)) == pytest.approx(-log_fake)  # log(1 − σ(−1))
    assert float(g_loss("non-saturating", fake)) == pytest.approx(math.log(1 + math.exp(1)))  # −log σ(−1)
    # D that cannot tell (s = 0, σ = ½): D pays 2 log 2; G pays −log 2 or log 2.
    zero = _t(0.0)
    assert float(d_loss("minimax", zero, zero)) == pytest.approx(2 * math.log(2))
    assert float(g_loss("minimax", zero)) == pytest.approx(-math.log(2))
    assert float(g_loss("non-saturating", zero)) == pytest.approx(math.log(2))
    # Least squares: real → 1, fake → 0 is D's perfect score; G wants its score at 1.
    assert float(d_loss("least-squares", _t(1.0), _t(0.0))) == 0
    assert float(d_loss("least-squares", _t(0.0), _t(1.0))) == pytest.approx(1.0)
    assert float(g_loss("least-squares", _t(0.0))) == pytest.approx(0.5)
    # Wasserstein: the critic's gap, means over the batch.
    assert float(d_loss("wasserstein-gp", _t(3.0, 1.0), _t(0.5, -0.5))) == pytest.approx(0 - 2)
    assert float(g_loss("wasserstein-gp", _t(0.5, -1.5))) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="non-saturating"):
        d_loss("hinge", zero, zero)


def test_minimax_saturates_where_non_saturating_pulls():
    """When D is sure G's sample is fake (s = −8), the minimax loss gives G almost no gradient;
    the non-saturating one gives it nearly the largest it ever gets: why GANs use it."""
    grads = {}
    for loss in ("minimax", "non-saturating"):
        s = torch.tensor([-8.0], requires_grad=True)
        g_loss(loss, s).backward()
        grads[loss] = float(s.grad)
    assert abs(grads["minimax"]) < 1e-3 and grads["non-saturating"] == pytest.approx(-1, abs=1e-3)


def test_the_gradient_penalty_is_zero_for_a_1_lipschitz_critic():
    for norm, penalty in ((1.0, 0.0), (3.0, 4.0), (0.5, 0.25)):
        critic = torch.nn.Linear(2, 1)
        with torch.no_grad():
            critic.weight.copy_(torch.tensor([[0.6, 0.8]]) * norm)  # ‖∇D‖ = norm everywhere
        real, fake = torch.randn(16, 2), torch.randn(16, 2)
        penalty_now = gradient_penalty(critic, real, fake, torch.rand(16, 1)).detach()
        assert float(penalty_now) == pytest.approx(penalty, abs=1e-5)


@pytest.mark.parametrize("data", ["two gaussians", *SHAPES])
@pytest.mark.parametrize("loss", list(LOSSES))
def test_every_data_and_loss_draws_a_snapshot(data, loss):
    toy = ToyGan(data, seed=1, config=ToyConfig(loss=loss, z_dim=2, hidden=16, heat_points=16, shown=64))
    snap = toy.step(3)
    assert snap.step == 3 and snap.loss == loss and math.isfinite(snap.d_loss) and math.isfinite(snap.g_loss)
    if toy.dim == 1:
        assert snap.discriminator.shape == snap.grid.shape
        return
    assert isinstance(snap, ToySnapshot2D)
    assert snap.real.shape == snap.fake.shape == (64, 2) and snap.discriminator.shape == (16, 16)
    assert snap.heat_axis[0] > snap.span[0] and snap.heat_axis[-1] < snap.span[1]
    if loss in ("minimax", "non-saturating"):
        assert ((snap.discriminator > 0) & (snap.discriminator < 1)).all()
    # The heat map's cell (row i, column j) is D at (x = heat_axis[j], y = heat_axis[i]).
    assert snap.discriminator[3, 11] == pytest.approx(toy.discriminator_on([[snap.heat_axis[11], snap.heat_axis[3]]])[0])


def test_g_moves_along_fixed_z_and_the_same_seed_plays_the_same_game():
    a, b = ToyGan("ring", seed=4), ToyGan("ring", seed=4)
    first = a.step(5)
    second = a.step(5)
    assert np.array_equal(first.z, second.z) and not np.allclose(first.fake, second.fake)
    assert np.array_equal(first.real, second.real)  # the data shown does not flicker
    b.step(5)
    assert np.allclose(b.step(5).fake, second.fake)


def test_stepping_d_only_or_g_only_leaves_the_other_alone():
    toy = ToyGan("two moons", seed=0)
    g_before = [p.detach().clone() for p in toy.g.parameters()]
    d_before = [p.detach().clone() for p in toy.d.parameters()]
    toy.train(3, which="d")
    assert all(torch.equal(p, q) for p, q in zip(toy.g.parameters(), g_before))
    assert not all(torch.equal(p, q) for p, q in zip(toy.d.parameters(), d_before))
    d_after = [p.detach().clone() for p in toy.d.parameters()]
    toy.train(3, which="g")
    assert all(torch.equal(p, q) for p, q in zip(toy.d.parameters(), d_after))
    assert not all(torch.equal(p, q) for p, q in zip(toy.g.parameters(), g_before))
    assert (toy.steps, toy.d_updates, toy.g_updates) == (6, 3, 3)
    toy.tune(d_steps=2)
    toy.train(1)
    assert (toy.d_updates, toy.g_updates) == (5, 4)
    with pytest.raises(ValueError, match="both, d, g"):
        toy.train(1, which="D")


def test_knobs_change_while_training_and_the_width_does_not():
    toy = ToyGan("ring", seed=0)
    toy.train(2)
    toy.tune(lr_d=4e-3, lr_g=5e-4, loss="wasserstein-gp")
    assert toy.opt_d.param_groups[0]["lr"] == 4e-3 and toy.opt_g.param_groups[0]["lr"] == 5e-4
    assert toy.step(2).loss == "wasserstein-gp" and toy.steps == 4
    with pytest.raises(ValueError, match="hidden cannot change while training"):
        toy.tune(hidden=128)
    with pytest.raises(ValueError, match="unknown loss"):
        ToyConfig(loss="hinge")


def test_a_drawn_distribution_blurs_the_users_points():
    rng = np.random.default_rng(0)
    line = Drawn([(x, 0.5 * x) for x in np.linspace(-2, 2, 9)])
    points = line.sample(2000, rng)
    assert points.shape == (2000, 2) and line.dim == 2
    assert np.abs(points[:, 1] - 0.5 * points[:, 0]).mean() < 3 * line.spread  # near the drawn line
    bumps = Drawn([-1.0, -1.0, 2.0])  # 1-D: a third of the mass at 2
    one_d = bumps.sample(3000, rng)
    assert one_d.shape == (3000,) and np.mean(one_d > 0.5) == pytest.approx(1 / 3, abs=0.03)
    toy = ToyGan(Drawn([(3.5, 3.5), (-1, 0), (0, 1)]), seed=0)
    assert toy.dim == 2 and toy.data_name == "drawn" and toy.data.span[1] > 3.5  # the window holds them
    toy.step(2)
    with pytest.raises(ValueError, match="at least 2 points"):
        Drawn([(0, 0)])
    with pytest.raises(ValueError, match="pairs"):
        Drawn([(0, 0, 0), (1, 1, 1)])


def test_mode_coverage_counts_modes_and_near_points():
    ring = SHAPES["ring"]
    rng = np.random.default_rng(0)
    assert mode_coverage(ring.sample(800, rng), ring.centres, ring.spread)[0] == 8
    collapsed = np.asarray(ring.centres[:1]) + rng.normal(0, ring.spread, (800, 2))
    assert mode_coverage(collapsed, ring.centres, ring.spread) == (1, pytest.approx(0.99, abs=0.01))
    assert mode_coverage(np.zeros((100, 2)), ring.centres, ring.spread) == (0, 0.0)


@pytest.mark.slow
def test_the_non_saturating_gan_learns_the_ring_of_8_gaussians():
    """GAN Lab's and the unrolled-GAN paper's test: after RING_STEPS steps most of the 8 modes
    hold G's points and most points lie within 3 standard deviations of a mode."""
    ring = SHAPES["ring"]
    toy = ToyGan("ring", seed=0)
    assert toy.config.loss == "non-saturating"
    before = mode_coverage(toy.generate(), ring.centres, ring.spread)
    toy.train(RING_STEPS)
    modes, near = mode_coverage(toy.generate(), ring.centres, ring.spread)
    assert before[1] < 0.1 and modes >= 6 and near >= 0.6, (modes, near)


RING_STEPS = 3000


def test_g_points_are_pushed_up_ds_slope():
    """The arrows: each of G's points is pushed where D rates points as more real."""
    toy = ToyGan("ring", seed=0)
    toy.train(50, which="d")  # D learns where the data is; G has not moved
    snap = toy.snapshot()
    assert snap.push.shape == snap.fake.shape
    step = 0.01 * snap.push / np.linalg.norm(snap.push, axis=1, keepdims=True)
    rises = toy.discriminator_on(snap.fake + step) > toy.discriminator_on(snap.fake)
    assert rises.mean() > 0.95


def test_the_wasserstein_critic_takes_five_steps_per_g_step_unless_told():
    assert ToyConfig(loss="wasserstein-gp").critic_steps == 5 and ToyConfig().critic_steps == 1
    assert ToyConfig(loss="wasserstein-gp", d_steps=2).critic_steps == 2
    toy = ToyGan("ring", seed=0)
    toy.tune(loss="wasserstein-gp")
    toy.train(2)
    assert (toy.d_updates, toy.g_updates) == (10, 2)


def test_toygan_command_draws_the_2d_game(tmp_path, capsys):
    out = tmp_path / "ring.png"
    assert main(["toygan", "--data", "ring", "--steps", "20", "--loss", "least-squares", "--lr-d", "0.002",
                 "--width", "16", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "sliced Wasserstein" in printed and "of 8 modes covered" in printed
    picture = np.asarray(Image.open(out).convert("RGB"))
    assert picture.shape == (570, 540, 3)
    purple = (np.abs(picture.astype(int) - (118, 42, 131)).sum(-1) < 10).sum()
    assert purple > 100  # G's points are drawn
    assert main(["toygan", "--data", "ring", "--loss", "hinge", "-o", str(out)]) == 2
    assert "wasserstein-gp" in capsys.readouterr().err
