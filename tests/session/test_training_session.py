"""The training session: one object behind the Train button and `studio train`."""

import dataclasses
import json
import os
from pathlib import Path

import pytest

from studio.cli import main
from studio.data import open_dataset
from studio.models import MODEL_NAMES, model_module
from studio.session.forms import BUDGET_UNITS, FAR_EPOCHS, Budget, essentials, help_text, label
from studio.session.monitor import ProgressState, remaining_steps
from studio.session.runs import RunsList
from studio.session.training import TrainingSession

DATA = "builtin:n=48,seed=3"
TINY = {"gan": dict(z_dim=8, width=8)}


def test_the_cli_and_the_session_put_new_runs_in_the_same_runs_folder(capsys):
    runs = Path(os.environ["STUDIO_RUNS_DIR"])  # conftest: a fresh folder per test
    assert TrainingSession("gan").runs_folder == runs
    assert main(["train", "gan", "--data", DATA, "--steps", "2", "--batch-size", "8", "--quiet"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    run = Path(summary["run"])
    assert run.parent == runs and run.name.startswith("gan-") and summary["step"] == 2
    assert [r.path for r in RunsList().refresh()] == [run]  # `studio runs list` and the Runs tab see it


def test_a_session_trains_pauses_nothing_while_idle_and_resumes_a_stopped_run(tmp_path):
    session = TrainingSession("gan", runs_dir=tmp_path)
    phases = []
    session.monitor.phase_changed.connect(phases.append)
    config = dataclasses.replace(session.config(), **TINY["gan"])
    settings = session.settings(max_steps=3, batch_size=8, sample_count=4, eval_every=0, log_every=1)
    run = session.train(open_dataset(DATA), config, settings)  # inline: returns when the run ends
    assert run.parent == tmp_path and session.summary["step"] == 3
    assert phases == ["running", "idle"] and not session.busy
    assert session.monitor.resumable == run  # stopped at max_steps, with a checkpoint
    session.pause()  # nothing runs: a no-op, not an error
    assert session.resume(max_steps=5) == run
    assert session.summary["step"] == 5 and session.summary["run"] == str(run)


def test_a_refused_start_says_why_and_changes_nothing(tmp_path):
    session = TrainingSession("gan", runs_dir=tmp_path)
    with pytest.raises(Exception, match="no stopped run"):
        session.resume()
    assert session.monitor.phase == "idle" and not any(tmp_path.iterdir())


def test_the_eta_follows_whichever_limit_ends_the_run_first():
    # 1,000 steps left, 0.5 CPU-s a step, 60 CPU-s of budget left: the budget ends it after 120.
    assert remaining_steps(step=0, total=1000, cpu_seconds=540, cpu_budget=600, cpu_per_step=0.5) == (120, "cpu")
    assert remaining_steps(step=900, total=1000, cpu_seconds=0, cpu_budget=600, cpu_per_step=0.5) == (100, "steps")
    assert remaining_steps(step=0, total=1000, cpu_seconds=0, cpu_budget=None, cpu_per_step=0.5) == (1000, "steps")
    shown = ProgressState(step=150, total=22000, cpu_seconds=240, cpu_budget=600, limit="cpu", eta_seconds=400)
    assert shown.fraction == pytest.approx(0.4) and shown.left_text().startswith("≈ 6.0 CPU-min left")


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_the_learner_form_names_only_fields_the_model_has_and_explains_them(model):
    fields = {f.name for f in dataclasses.fields(model_module(model).Config)}
    assert essentials(model) and set(essentials(model)) <= fields
    for name in essentials(model):
        assert help_text(model, name), f"{model}.{name} has no help"
        assert "_" not in label(name)


def test_a_budget_in_the_learners_words_sets_the_settings():
    assert Budget("CPU-minutes", 10).settings() == {"cpu_budget": 600, "max_steps": None, "epochs": FAR_EPOCHS}
    assert Budget("steps", 500).settings()["max_steps"] == 500
    assert Budget("epochs", 30).settings() == {"epochs": 30, "cpu_budget": None, "max_steps": None}
    session = TrainingSession("gan")
    assert Budget.of(session.settings("crisp")) == Budget("CPU-minutes", 10)
    with pytest.raises(ValueError, match="unknown budget unit"):
        Budget("hours", 1)
    assert "CPU-minutes" in BUDGET_UNITS
