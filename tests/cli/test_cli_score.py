"""`studio score` and `studio sample -o FILE.txt/.npy` as a user runs them: any model's run, or
anybody's sprite file in the course's format, scored by one yardstick."""

from __future__ import annotations

import json

import numpy as np
import pytest

from studio.cli import main
from studio.data import open_dataset
from studio.data.course import read_colormap, read_pixels
from studio.models.scores import SCORE_KEYS

DATA = "builtin:n=64,seed=3"


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "gan"
    config = run.parent / "tiny.toml"
    config.write_text("z_dim = 8\nwidth = 8\n")
    assert main(["train", "gan", "--data", DATA, "--config", str(config), "--batch-size", "8",
                 "--steps", "6", "--quiet", "--out", str(run)]) == 0
    return run


def test_sample_writes_the_course_format_and_numpy(tiny_run, tmp_path, capsys):
    assert main(["sample", str(tiny_run), "-n", "12", "-o", str(tmp_path / "s.txt")]) == 0
    assert main(["sample", str(tiny_run), "-n", "12", "-o", str(tmp_path / "s.npy")]) == 0
    palette = read_colormap(tmp_path / "s.colormap.txt")
    assert palette == open_dataset(DATA).palette
    from_text = read_pixels(tmp_path / "s.txt", palette)
    from_npy = np.load(tmp_path / "s.npy")
    assert from_text.shape == (12, 20, 20) and np.array_equal(from_text, from_npy)  # the same seed, the same sprites
    assert "s.colormap.txt" in capsys.readouterr().out


@pytest.mark.slow
def test_score_a_run_and_the_same_sprites_from_a_file_agree(tiny_run, tmp_path, capsys):
    main(["sample", str(tiny_run), "-n", "40", "-o", str(tmp_path / "s.txt")])
    capsys.readouterr()
    assert main(["score", str(tiny_run), "-n", "40"]) == 0
    of_run = json.loads(capsys.readouterr().out)
    assert of_run["model"] == "gan" and "bits_per_pixel" not in of_run  # a GAN has no likelihood
    assert set(SCORE_KEYS) <= set(of_run) and set(of_run["reference"]) == {"real", "shuffled"}
    assert main(["score", str(tmp_path / "s.txt"), "-n", "40", "--data", DATA,
                 "--palette", str(tmp_path / "s.colormap.txt")]) == 0
    of_file = json.loads(capsys.readouterr().out)
    assert {k: of_file[k] for k in SCORE_KEYS} == {k: of_run[k] for k in SCORE_KEYS}
    assert of_file["reference"] == of_run["reference"]


def test_score_refuses_what_it_cannot_score_in_one_line(tmp_path, capsys):
    (tmp_path / "s.txt").write_text("0 1 2\n")
    assert main(["score", str(tmp_path / "s.txt")]) == 2
    assert "--data" in capsys.readouterr().err
    assert main(["score", str(tmp_path / "s.txt"), "--data", DATA]) == 2
    assert "s.txt, line 1: 3 numbers is not a square sprite" in capsys.readouterr().err
    np.save(tmp_path / "small.npy", np.zeros((3, 8, 8), np.uint8))
    assert main(["score", str(tmp_path / "small.npy"), "--data", DATA]) == 2
    assert "(8, 8)" in capsys.readouterr().err


@pytest.mark.slow
def test_eval_includes_the_yardstick(tiny_run, capsys):
    assert main(["eval", str(tiny_run), "-n", "24"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result["scores"]) == set(SCORE_KEYS)
