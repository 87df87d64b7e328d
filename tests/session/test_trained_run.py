"""TrainedRun.open: the one way every caller opens a run, and the errors it names."""

from __future__ import annotations

import json

import numpy as np
import pytest

from studio.errors import StudioError

from studio.train.task import Task
from studio.errors import RunError
from studio.train.trained import TrainedRun


@pytest.mark.parametrize("model", ["gan", "pixelrnn", "vae"])
def test_every_model_opens_with_its_data_split_and_config(tiny_runs, model):
    run = TrainedRun.open(tiny_runs[model])
    assert run.model == model and isinstance(run.task, Task)
    assert run.config["model"] == model and run.checkpoint.is_file()
    sprites = run.dataset()
    train, held = run.split(sprites)
    assert len(train) + len(held) == len(sprites) == 48 and run.fits(sprites)
    drawn = run.task.draw(1, seed=1)
    assert drawn.shape == (1, 20, 20) and np.array_equal(drawn, run.task.draw(1, seed=1))


def test_what_is_wrong_is_named(tiny_runs, tmp_path):
    with pytest.raises(RunError, match="no such folder"):
        TrainedRun.open(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunError, match="no config.json"):
        TrainedRun.open(tmp_path / "empty")
    (tmp_path / "alien").mkdir()
    alien = {**json.loads((tiny_runs["vae"] / "config.json").read_text()), "model": "autoencoder"}
    (tmp_path / "alien" / "config.json").write_text(json.dumps(alien))
    with pytest.raises(RunError, match=r"alien/config.json: .*'autoencoder'"):
        TrainedRun.open(tmp_path / "alien")
    with pytest.raises(RunError, match="a gan run; open a vae run here"):
        TrainedRun.open(tiny_runs["gan"], model="vae")
    (tmp_path / "fresh").mkdir()
    (tmp_path / "fresh" / "config.json").write_text((tiny_runs["vae"] / "config.json").read_text())
    with pytest.raises(StudioError, match="fresh: the run has no checkpoint yet"):
        TrainedRun.open(tmp_path / "fresh")


def test_a_checkpoint_of_another_shape_is_refused_with_its_file(tiny_runs, tmp_path):
    import shutil

    other = tmp_path / "other"
    shutil.copytree(tiny_runs["vae"], other)
    config = json.loads((other / "config.json").read_text())
    config["model_config"]["width"] = 16  # the weights are for width 8
    (other / "config.json").write_text(json.dumps(config))
    with pytest.raises(RunError, match="does not fit the run's vae model"):
        TrainedRun.open(other)
