"""`studio surprise` as a user runs it: a sprite of the run's data or a PNG, the picture, the total."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
from PIL import Image

from studio.cli import main
from studio.session.pretrained import pretrained_run
from studio.train.trained import TrainedRun


@pytest.mark.parametrize("model", ["pixelrnn", "transformer"])
def test_surprise_writes_the_picture_and_prints_minus_log2_p(model, tmp_path, capsys):
    run_dir = pretrained_run(model)
    out = tmp_path / "map.png"
    assert main(["surprise", str(run_dir), "--index", "3", "-o", str(out), "--scale", "8"]) == 0
    printed = capsys.readouterr().out
    total = float(re.search(r"sprite 3: ([0-9.]+) bits in all", printed).group(1))
    run = TrainedRun.open(run_dir)
    sprite = run.dataset().indices[3]
    expected = -float(run.task.log_likelihood(torch.from_numpy(sprite[None]))[0]) / math.log(2)
    assert total == pytest.approx(expected, abs=0.01)
    picture = np.asarray(Image.open(out).convert("RGB"))
    assert picture.shape[0] >= 20 * 8 and picture.shape[1] >= 2 * 20 * 8
    # The sprite is drawn at 8 pixels a pixel below the title: its top-left pixel's colour.
    assert tuple(picture[34, 10]) == tuple(run.palette.colors[sprite[0, 0]])


def test_an_image_is_read_in_the_runs_palette(tmp_path, capsys):
    run_dir = pretrained_run("pixelrnn")
    run = TrainedRun.open(run_dir)
    sprite = run.dataset().indices[7]
    png = tmp_path / "mine.png"
    Image.fromarray(run.palette.to_rgb(sprite)).save(png)
    assert main(["surprise", str(run_dir), "--image", str(png), "-o", str(tmp_path / "m.png")]) == 0
    from_image = capsys.readouterr().out
    assert main(["surprise", str(run_dir), "--index", "7", "-o", str(tmp_path / "i.png")]) == 0
    from_index = capsys.readouterr().out
    bits = [re.search(r": ([0-9.]+) bits in all", text).group(1) for text in (from_image, from_index)]
    assert bits[0] == bits[1] and "mine.png" in from_image


def test_models_without_pixel_odds_and_bad_input_are_one_line(tiny_runs, tmp_path, capsys):
    out = str(tmp_path / "x.png")
    assert main(["surprise", str(tiny_runs["vae"]), "--index", "0", "-o", out]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "open a PixelRNN, transformer or diffusion run" in err and str(tiny_runs["vae"]) in err
    assert main(["surprise", str(tiny_runs["pixelrnn"]), "--index", "4000", "-o", out]) == 2
    assert "outside the run's 48 sprites" in capsys.readouterr().err
    big = tmp_path / "big.png"
    Image.new("RGB", (40, 40), "white").save(big)
    assert main(["surprise", str(tiny_runs["pixelrnn"]), "--image", str(big), "-o", out]) == 2
    assert "40×40" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # argparse: --index or --image is required
        main(["surprise", str(tiny_runs["pixelrnn"]), "-o", out])


def test_surprise_of_a_diffusion_run_is_its_pseudo_likelihood(tmp_path, capsys):
    out = tmp_path / "map.png"
    assert main(["surprise", str(pretrained_run("diffusion")), "--index", "3", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "pseudo-" in printed and out.read_bytes()[:4] == b"\x89PNG"
