"""Train quick models (session/quick.py): every family's quick preset on one dataset, in turn,
each announcing its checkpoints so views can show it while the next ones train."""

from __future__ import annotations

import json

import pytest

from studio.cli import main
from studio.data import open_dataset
from studio.session.quick import QUICK_ORDER, QuickModels
from studio.session.training import TrainingSession
from studio.train.run import RunDir


@pytest.mark.slow  # five families, a second of training each
def test_studio_train_all_trains_every_family_in_turn_into_the_runs_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("STUDIO_RUNS_DIR", str(tmp_path / "runs"))
    assert main(["train", "all", "--data", "builtin:n=32", "--cpu-minutes", "0.01", "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert [r["model"] for r in json.loads(out)] == list(QUICK_ORDER)
    runs = sorted((tmp_path / "runs").iterdir())
    assert sorted(json.loads((r / "config.json").read_text())["model"] for r in runs) == sorted(QUICK_ORDER)
    assert all(RunDir(r).latest_checkpoint() is not None for r in runs)  # each one usable
    assert "one after another (0.01 CPU-minutes each)" in err


def test_one_model_per_dataset_is_refused_its_options(capsys):
    assert main(["train", "all", "--config", "lecture"]) == 2
    assert "--config is for one model" in capsys.readouterr().err


def test_checkpoints_are_announced_and_stop_ends_the_rest(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_RUNS_DIR", str(tmp_path / "runs"))
    quick = QuickModels({m: TrainingSession(m) for m in ("transformer", "vae")}, cpu_minutes=0.01)
    started, written, done = [], [], []
    quick.model_started.connect(lambda model, run: started.append(model))
    quick.checkpoint_written.connect(lambda model, run: written.append((model, run)))
    quick.all_done.connect(done.append)
    quick.start(open_dataset("builtin:n=32"))
    assert started == ["transformer", "vae"] and not quick.running
    assert {m for m, _ in written} == {"transformer", "vae"}
    assert all(RunDir(run).latest_checkpoint() is not None for _, run in written)
    assert [m for m, _ in done[0]] == ["transformer", "vae"]

    stopping = QuickModels({m: TrainingSession(m) for m in ("transformer", "vae")}, cpu_minutes=0.01)
    stopping.model_started.connect(lambda model, run: stopping.stop())
    stopping.start(open_dataset("builtin:n=32"))
    assert [m for m, _ in stopping.results] == ["transformer"]  # the VAE never started
