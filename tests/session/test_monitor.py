"""The training monitor's state without Qt: phases, smoothed ETA, warnings, following, resuming."""

from __future__ import annotations

import math

from studio.session import monitor as monitor_module
from studio.session.monitor import STOPPING_TEXT, TrainingMonitor, WarningRule
from studio.train.engine import Progress


def progress(step, rate, total=100):
    return Progress(step=step, total=total, epoch=0, epochs=1, steps_per_second=rate,
                    sprites_per_second=rate * 8, eta_seconds=0)


def test_phases_decide_what_the_buttons_may_do(tmp_path):
    m = TrainingMonitor("gan")
    phases = []
    m.phase_changed.connect(phases.append)
    assert m.can("train") and not m.can("pause") and not m.can("resume")
    m.launched(tmp_path / "run")
    assert m.busy and m.can("pause") and m.can("stop") and not m.can("train") and not m.can("open")
    m.pause()
    assert m.phase == "paused" and m.can("resume") and not m.can("pause")
    m.resume()
    m.stopping()
    assert m.progress.status == STOPPING_TEXT and not m.can("stop")
    m.finished({"status": "stopped", "step": 7, "checkpoint": "c.pt", "run": str(tmp_path / "run")})
    assert phases == ["running", "paused", "running", "stopping", "idle"]
    assert m.resumable == tmp_path / "run" and m.can("resume")


def test_the_eta_is_smoothed_so_one_noisy_window_does_not_swing_it(tmp_path):
    m = TrainingMonitor("gan")
    m.launched(tmp_path / "run")
    m.started({"step": 0, "total": 100, "batch_size": 8, "device": "CPU, 1 thread"})
    m.on_progress(progress(10, 10.0))
    assert math.isclose(m.progress.eta_seconds, 9.0)
    m.on_progress(progress(20, 1.0))  # a neighbour's burst slowed one window ten-fold
    assert 7.0 < m.progress.steps_per_second < 10.0
    assert m.progress.eta_seconds < 80 / 5.0  # not the 80 s the raw rate would say
    assert math.isclose(m.progress.sprites_per_second, 8 * m.progress.steps_per_second)


def test_warning_rules_follow_the_latest_value():
    m = TrainingMonitor("gan", warnings=[WarningRule("val/diversity_ratio", below=0.35, message="collapse")])
    seen = []
    m.warnings_changed.connect(seen.append)
    m.add_record({"step": 5, "val/diversity_ratio": 0.2})
    assert m.warnings and "collapse" in m.warnings[0] and "0.2" in m.warnings[0]
    m.add_record({"step": 10, "val/diversity_ratio": 0.6})
    assert m.warnings == [] and len(seen) == 2 and seen[1] == []


def test_following_a_run_reads_new_records_and_refuses_a_live_resume(tmp_path, monkeypatch, gan_run_record):
    run = gan_run_record(tmp_path / "run", epochs=2)
    m = TrainingMonitor("gan")
    m.follow(run.path)
    assert m.phase == "following" and m.progress.total == 10 and m.resumable is None
    run.append_metrics({"step": 5, "epoch": 1.0, "time": 1.0, "d_loss": 1.0})
    run.append_metrics({"step": 10, "epoch": 2.0, "time": 2.0, "d_loss": 0.5})
    m.poll()
    assert list(m.history.series("d_loss")[0]) == [5, 10]
    assert m.progress.status == "finished" and m.progress.step == 10

    run.step_checkpoint(5).write_bytes(b"stand-in")  # a checkpoint appears: resumable
    m.follow(run.path)
    assert m.resumable == run.path
    assert "another process" in m.resume_problem()  # written a moment ago
    monkeypatch.setattr(monitor_module, "LIVE_SECONDS", 0)
    assert m.resume_problem() is None
    m.reload_until_checkpoint()
    assert list(m.history.series("d_loss")[0]) == [5]  # what the checkpoint had


def test_a_failure_names_the_problem_and_keeps_a_checkpointed_run_resumable(tmp_path, gan_run_record):
    run = gan_run_record(tmp_path / "run", epochs=2)
    run.step_checkpoint(5).write_bytes(b"stand-in")
    m = TrainingMonitor("gan")
    errors = []
    m.error_changed.connect(errors.append)
    m.launched(run.path)
    m.failed("training diverged")
    assert errors[-1] == "Training failed: training diverged" and m.phase == "idle"
    assert m.resumable == run.path


def test_the_may_still_be_training_refusal_goes_when_the_writer_lets_go_or_the_last_record_arrives(
        tmp_path, gan_run_record):
    from studio.train.run import RunLock

    run = gan_run_record(tmp_path / "run", epochs=2)
    run.append_metrics({"step": 5, "epoch": 1.0, "time": 1.0, "d_loss": 1.0})
    run.step_checkpoint(5).write_bytes(b"stand-in")
    m = TrainingMonitor("gan")
    errors = []
    m.error_changed.connect(errors.append)
    with RunLock(run.path):  # `studio train` writes it
        m.follow(run.path)
        m.set_error(m.resume_problem())  # what Resume shows
        assert "another process" in m.error and not m.can("resume")
        m.poll()
        assert m.error and m.progress.status == "following"
    m.poll()  # it let go: the run is over, whatever the clock says
    assert m.error == "" and errors[-1] == "" and m.progress.status == "stopped"
    assert not m.live and m.resume_problem() is None and m.can("resume")

    other = gan_run_record(tmp_path / "other", epochs=2)  # no lock to probe: its last record tells
    other.append_metrics({"step": 5, "epoch": 1.0, "time": 1.0, "d_loss": 1.0})
    other.step_checkpoint(5).write_bytes(b"stand-in")
    m.follow(other.path)
    m.set_error(m.resume_problem())
    assert "another process" in m.error
    other.append_metrics({"step": 10, "epoch": 2.0, "time": 2.0, "d_loss": 0.5})
    m.poll()
    assert m.error == "" and m.progress.status == "finished" and not m.live
