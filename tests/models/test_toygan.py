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
