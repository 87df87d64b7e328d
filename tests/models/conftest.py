"""Fixtures the model tests share."""

from __future__ import annotations

import pytest

from studio.train.engine import Trainer, TrainSettings


@pytest.fixture(scope="module")
def train_tiny(tmp_path_factory):
    """``train_tiny(model, config, sprites)``: a run folder of 2 short epochs with the real engine."""

    def train(model: str, config, sprites):
        run_dir = tmp_path_factory.mktemp("runs") / model
        settings = TrainSettings(epochs=2, batch_size=16, log_every=1, sample_every=0, sample_count=4)
        Trainer(model, config, sprites, settings, run_dir).run_training()
        return run_dir

    return train
