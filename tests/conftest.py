"""Shared fixtures. Kept small: add fixtures only when several test files need them."""

from __future__ import annotations

import dataclasses
import os

import pytest

from studio.data import find_course_data
from studio.data.builtin import builtin_creatures

try:  # the fuzz suites' property tests; absent on a bare GPU machine
    from hypothesis import settings as hypothesis_settings
except ImportError:
    pass
else:
    # In CI the fuzz examples are derived from the tests themselves, so a run is reproducible
    # and a new failure shows up on a developer's machine (random there), not as a flaky CI.
    hypothesis_settings.register_profile("ci", derandomize=True)
    if os.environ.get("CI"):
        hypothesis_settings.load_profile("ci")


@pytest.fixture(autouse=True)
def runs_in_tmp(tmp_path, monkeypatch):
    """No test writes to the user's runs folder: the app's and `studio train`'s default runs
    folder is a fresh one under tmp_path."""
    monkeypatch.setenv("STUDIO_RUNS_DIR", str(tmp_path / "runs"))


@pytest.fixture(scope="session")
def course_dir():
    """The real course data folder (pixel_color.txt + colormap.txt); skips when it is absent."""
    folder = find_course_data()
    if folder is None:
        pytest.skip("course data not found: set STUDIO_POKEMON_DIR or put it at ../shared/data/pokemon")
    return folder


@pytest.fixture(scope="session")
def builtin_set():
    """64 built-in creatures: a small, fast, always-available SpriteSet."""
    return builtin_creatures(n=64)


@pytest.fixture()
def isolated_app(qapp, tmp_path, monkeypatch):
    """The app as a test sees it: runs go under tmp_path, every QSettings() writes a throw-away
    file there; the user's runs and settings are never touched. Returns the settings folder."""
    from PySide6.QtCore import QSettings

    monkeypatch.setenv("STUDIO_RUNS_DIR", str(tmp_path / "runs"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    return tmp_path / "settings"


@pytest.fixture()
def gan_run_record():
    """write(folder, epochs) → a RunDir with a GAN run's config.json and nothing trained yet (40
    built-in sprites, batch 8: five steps an epoch), for tests that append the records a
    training would write and watch how a view or monitor follows them."""
    from studio.train.run import RunDir

    def write(folder, epochs=2) -> RunDir:
        run = RunDir(folder)
        run.create({"model": "gan", "model_config": {"z_dim": 8, "width": 8},
                    "train": {"epochs": epochs, "batch_size": 8, "max_steps": None},
                    "data": {"source": "builtin", "train": 40, "size": [20, 20], "num_colors": 4,
                             "palette": [[255, 255, 255], [0, 0, 0], [200, 0, 0], [0, 0, 200]]},
                    "device": "cpu"})
        return run
    return write


#: The smallest config of each model, as (the preset it shrinks, or None for Config(); fields):
#: a run of each trains in about a second on a CPU.
TINY_CONFIGS = {"gan": ("dcgan", dict(z_dim=8, width=8)), "pixelrnn": (None, dict(hidden=8, embed=4)),
                "vae": ("lecture", dict(width=8, hidden=16, kl_warmup_steps=0))}


@pytest.fixture(scope="session")
def tiny_runs(tmp_path_factory):
    """{model: run folder}: one finished tiny run of every model on 48 built-in creatures."""
    import torch

    from studio.data import open_dataset
    from studio.models import model_module
    from studio.train.engine import Trainer, TrainSettings

    torch.set_num_threads(1)  # a shared machine: more threads only wait for each other
    root = tmp_path_factory.mktemp("tiny-runs")
    sprites = open_dataset("builtin:n=48,seed=3")
    settings = TrainSettings(epochs=2, batch_size=8, log_every=2, sample_every=0, sample_count=4)
    runs = {}
    for model, (preset, fields) in TINY_CONFIGS.items():
        module = model_module(model)
        config = dataclasses.replace(module.CONFIGS[preset] if preset else module.Config(), **fields)
        Trainer(model, config, sprites, settings, root / f"{model}-tiny").run_training()
        runs[model] = root / f"{model}-tiny"
    return runs
