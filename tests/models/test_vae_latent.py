"""The latent explorer (what the sliders, grid and walk call) and the latent/interpolate/reconstruct CLI."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from PIL import Image

from studio.cli import main
from studio.data.builtin import builtin_creatures
from studio.models import vae
from studio.models.latent import FixedCode, LatentExplorer
from studio.train.engine import Trainer, TrainSettings
from studio.train.trained import TrainedRun

TINY = dataclasses.replace(vae.LECTURE, width=8, hidden=16, kl_warmup_steps=0)
DATA = "builtin:n=48,seed=3"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A tiny VAE run on the built-in data, trained a few steps (the CLI reopens it)."""
    from studio.data import open_dataset

    out = tmp_path_factory.mktemp("runs") / "vae-tiny"
    settings = TrainSettings(epochs=1, batch_size=8, log_every=1, sample_every=0, sample_count=4)
    Trainer("vae", TINY, open_dataset(DATA), settings, out).run_training()
    return out


@pytest.fixture(scope="module")
def explorer(run_dir):
    return LatentExplorer.from_run(TrainedRun.open(run_dir))


def test_from_run_reopens_the_runs_dataset(explorer):
    assert len(explorer.sprites) == 48 and explorer.latent_dim == TINY.latent_dim
    assert explorer.palette == builtin_creatures(n=48, seed=3).palette


def test_fixing_to_a_sprite_uses_its_mean_code(explorer):
    m, log_var = explorer.task.encode(explorer.sprites.indices[5:6])
    # (a batch of 1 against the whole dataset's batch: equal up to float summation order)
    np.testing.assert_allclose(explorer.base_code("index:5"), m[0].numpy(), atol=1e-5)
    np.testing.assert_allclose(explorer.encode(5), m[0].numpy(), atol=1e-5)
    noisy = m[0] + torch.exp(log_var[0] / 2) * torch.randn(explorer.latent_dim, generator=torch.Generator().manual_seed(0))
    assert not np.allclose(explorer.base_code("index:5"), noisy.numpy(), atol=1e-3)  # m, not a noisy draw
    assert np.all(explorer.base_code("zeros") == 0)
    np.testing.assert_array_equal(explorer.base_code("random", seed=2), explorer.base_code("random", seed=2))
    assert not np.array_equal(explorer.base_code("random", seed=2), explorer.base_code("random", seed=3))


def test_point_sets_only_the_two_chosen_dimensions(explorer):
    base = explorer.base_code("random", seed=1)
    code = explorer.point(base, (3, 7), (1.5, -2.0))
    assert code[3] == 1.5 and code[7] == -2.0
    others = [d for d in range(explorer.latent_dim) if d not in (3, 7)]
    np.testing.assert_array_equal(code[others], base[others])
    assert base[3] != 1.5  # the base itself is untouched


def test_grid_varies_the_two_dims_across_it_and_keeps_the_others(explorer):
    base = explorer.base_code("index:2")
    codes = explorer.grid_codes((1, 4), base, n=5).reshape(5, 5, -1)
    values = np.linspace(-3, 3, 5)
    np.testing.assert_allclose(codes[0, :, 1], values)  # dim 1 left → right
    np.testing.assert_allclose(codes[:, 0, 4], values[::-1])  # dim 4 bottom → top, like a plot
    assert np.all(codes[:, :, 1] == codes[:1, :, 1]) and np.all(codes[:, :, 4] == codes[:, :1, 4])
    others = [d for d in range(explorer.latent_dim) if d not in (1, 4)]
    np.testing.assert_array_equal(codes[:, :, others], np.broadcast_to(base[others], (5, 5, len(others))))
    sprites = explorer.grid((1, 4), base, n=5)
    assert sprites.shape == (25, 20, 20) and sprites.dtype == np.uint8
    np.testing.assert_array_equal(sprites, explorer.decode(codes.reshape(25, -1)))


def test_a_cells_values_are_the_code_decoded_in_that_cell(explorer):
    base = explorer.base_code("zeros")
    codes = explorer.grid_codes((0, 2), base, n=7)
    for row, col in ((0, 0), (6, 6), (2, 5)):
        np.testing.assert_allclose(explorer.point(base, (0, 2), explorer.cell_values(row, col, 7)), codes[row * 7 + col])


def test_decode_rgb_is_the_palette_image_of_the_argmax_sprite(explorer):
    code = explorer.base_code("random", seed=4)
    rgb = explorer.decode_rgb(code)
    assert rgb.shape == (20, 20, 3) and rgb.dtype == np.uint8
    np.testing.assert_array_equal(rgb, explorer.palette.to_rgb(explorer.decode(code[None])[0]))


def test_interpolation_endpoints_decode_to_the_endpoint_codes(explorer):
    codes = explorer.interpolation_codes(3, 9, steps=6)
    assert codes.shape == (6, explorer.latent_dim)
    np.testing.assert_allclose(codes[0], explorer.encode(3), atol=1e-6)
    np.testing.assert_allclose(codes[-1], explorer.encode(9), atol=1e-6)
    walk = explorer.interpolate(3, 9, steps=6)
    np.testing.assert_array_equal(walk[0], explorer.reconstruct(3))
    np.testing.assert_array_equal(walk[-1], explorer.reconstruct(9))


def test_dimension_kl_is_the_per_dimension_kl_averaged_over_the_dataset(explorer):
    kl = explorer.dimension_kl()
    m, log_var = explorer.dataset_codes()
    assert kl.shape == (explorer.latent_dim,) and np.all(kl >= 0)
    np.testing.assert_allclose(kl.sum(), vae.kl_divergence(torch.from_numpy(m), torch.from_numpy(log_var)).sum(1).mean(),
                               rtol=1e-5)
    order = explorer.informative_dims()
    assert sorted(order) == list(range(explorer.latent_dim)) and kl[order[0]] == kl.max()


def test_bad_requests_say_what_is_allowed(explorer):
    with pytest.raises(ValueError, match="two different dimensions"):
        explorer.point(explorer.base_code("zeros"), (2, 2), (0, 0))
    with pytest.raises(ValueError, match="out of range"):
        explorer.encode(48)
    with pytest.raises(ValueError, match="zeros, random, index:I"):
        FixedCode.parse("sprite 3")
    with pytest.raises(ValueError, match="at least 2 steps"):
        explorer.interpolate(0, 1, steps=1)


def test_a_gan_run_is_refused(tmp_path):
    from studio.data import open_dataset
    from studio.models import gan

    settings = TrainSettings(epochs=1, batch_size=16, sample_every=0, sample_count=4)
    Trainer("gan", dataclasses.replace(gan.DCGAN, z_dim=4, width=8), open_dataset(DATA), settings, tmp_path / "gan").run_training()
    with pytest.raises(ValueError, match="not a VAE"):
        LatentExplorer.from_run(TrainedRun.open(tmp_path / "gan"))


# --- the CLI -------------------------------------------------------------------------------------
def test_cli_latent_writes_the_grid(run_dir, tmp_path, capsys):
    out = tmp_path / "grid.png"
    assert main(["latent", str(run_dir), "--dims", "3", "7", "--fix", "index:4", "--grid", "3",
                 "-o", str(out), "--scale", "2"]) == 0
    with Image.open(out) as img:
        assert img.size == ((3 * 21 + 1) * 2, (3 * 21 + 1) * 2)
    assert "dims 3 (→) and 7 (↑)" in capsys.readouterr().out


def test_cli_latent_defaults_to_the_most_informative_dims(run_dir, explorer, tmp_path, capsys):
    assert main(["latent", str(run_dir), "--grid", "2", "-o", str(tmp_path / "g.png")]) == 0
    first, second = explorer.informative_dims()[:2]
    assert f"dims {first} (→) and {second} (↑)" in capsys.readouterr().out


def test_cli_interpolate_writes_a_strip_or_a_gif(run_dir, tmp_path):
    strip, gif = tmp_path / "strip.png", tmp_path / "walk.gif"
    assert main(["interpolate", str(run_dir), "--from", "1", "--to", "5", "--steps", "4", "-o", str(strip),
                 "--scale", "1"]) == 0
    with Image.open(strip) as img:
        assert img.size == (4 * 21 + 1, 22)
    assert main(["interpolate", str(run_dir), "--from", "1", "--to", "5", "--steps", "4", "-o", str(gif)]) == 0
    with Image.open(gif) as img:
        assert img.format == "GIF" and img.size == (80, 80)


def test_cli_reconstruct_puts_each_sprite_beside_its_reconstruction(run_dir, tmp_path):
    out = tmp_path / "rec.png"
    assert main(["reconstruct", str(run_dir), "--index", "0", "3", "-o", str(out), "--scale", "1"]) == 0
    with Image.open(out) as img:
        assert img.size == (2 * 21 + 1, 2 * 21 + 1)
        sprites = builtin_creatures(n=48, seed=3)
        np.testing.assert_array_equal(np.asarray(img.convert("RGB"))[22:42, 1:21], sprites.rgb(3))


def test_cli_errors_are_one_line(run_dir, tmp_path, capsys):
    assert main(["latent", str(run_dir), "--dims", "1", "1", "-o", str(tmp_path / "x.png")]) == 2
    assert main(["interpolate", str(run_dir), "--from", "0", "--to", "99", "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "two different dimensions" in err and "out of range" in err and "Traceback" not in err
    assert not (tmp_path / "x.png").exists()
