"""A damaged line of a run's metrics.jsonl, wherever it is, is skipped and named once as
file:line: the runs list, eval, the monitor and resume go on with the rest."""

from __future__ import annotations

import json
import shutil

import pytest

from studio.cli import main
from studio.session.monitor import TrainingMonitor
from studio.session.runs import RunsList, summarize
from studio.train.engine import Trainer
from studio.train.run import MetricsFollower, RunDir, parse_record

#: Damaged lines a user meets: a disk error's bytes, a line that is JSON but not an object,
#: a record without a step, a value that is not a number, a line cut short mid-file.
DAMAGED = [b"\xff\xfe garbage \x80", b"[1, 2, 3]", b"7", b'"text"', b"null", b'{"loss": 1.0}',
           b'{"step": "ten", "loss": 1.0}', b'{"step": 4, "loss": "high"}', b'{"step": 3, "lo']


def damage(run_path):
    """Put every kind of damaged line between the run's own records (its last stays last)."""
    path = RunDir(run_path).metrics_path
    lines = path.read_bytes().splitlines()
    mixed = []
    for i, line in enumerate(lines[:-1]):
        mixed += [line, *DAMAGED[i:i + 1]]
    mixed += [*DAMAGED[len(lines) - 1:], lines[-1]]
    path.write_bytes(b"\n".join(mixed) + b"\n")
    return lines


@pytest.fixture()
def damaged_runs(tiny_runs, tmp_path):
    folder = tmp_path / "runs"
    for model in ("gan", "vae"):
        shutil.copytree(tiny_runs[model], folder / model)
    clean = damage(folder / "gan")
    return folder, clean


def test_every_kind_of_damaged_line_is_refused_with_its_reason():
    for line in DAMAGED:
        record, problem = parse_record(line)
        assert record is None and problem, line
    assert parse_record(b'{"step": 10, "loss": NaN, "epoch": 2.0}')[0]["step"] == 10


def test_runs_list_lists_a_damaged_run_with_the_others_and_names_each_line_once(damaged_runs, capsys):
    folder, clean = damaged_runs
    assert main(["runs", "list", str(folder)]) == 0
    assert main(["runs", "list", str(folder)]) == 0  # a second read names nothing again
    out, err = capsys.readouterr()
    gan_row = next(line for line in out.splitlines() if line.startswith("gan "))
    assert "BROKEN" not in gan_row and f"{json.loads(clean[-1])['step']}/" in gan_row
    assert any(line.startswith("vae ") for line in out.splitlines())
    metrics = folder / "gan" / "metrics.jsonl"
    notes = [line for line in err.splitlines() if str(metrics) in line]
    assert "Traceback" not in err and len(notes) == len(set(notes)) == len(DAMAGED) == 9 \
        and all(line.startswith(f"studio: note: {metrics}:") and line.endswith("; skipped") for line in notes)
    numbered = [i + 1 for i, line in enumerate(metrics.read_bytes().split(b"\n")) if parse_record(line)[1]
                and line.strip()]
    assert [int(line.split(f"{metrics}:")[1].split(":")[0]) for line in notes] == numbered


def test_the_summary_the_curves_and_the_monitor_read_past_damaged_lines(damaged_runs):
    folder, clean = damaged_runs
    records = RunDir(folder / "gan").metrics()
    assert records == [json.loads(line) for line in clean]
    summary = summarize(folder / "gan")
    assert summary.problem is None and summary.steps == json.loads(clean[-1])["step"]
    assert {r.name for r in RunsList([folder]).refresh()} == {"gan", "vae"}
    monitor = TrainingMonitor("gan")
    monitor.follow(folder / "gan")
    assert monitor.progress.step == summary.steps and monitor.error == ""


def test_a_follower_numbers_lines_across_polls_and_after_a_cut(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_bytes(b'{"step": 1, "loss": 1.0}\n[1]\n')
    follower = MetricsFollower(path)
    assert [r["step"] for r in follower.poll()] == [1]
    with path.open("ab") as f:
        f.write(b'{"step": 2, "loss": 1.0}\n\xff\n{"step": 3, "lo')  # the last line is still being written
    assert [r["step"] for r in follower.poll()] == [2]
    assert [d.split(": ")[0] for d in follower.damaged] == [f"{path}:2", f"{path}:4"]
    path.write_bytes(b'{"step": 1, "loss": 1.0}\nnot json\n')  # a resume cut it back
    assert follower.poll() == []
    with path.open("ab") as f:
        f.write(b'{"step": 2, "loss": 0.5}\n')
    assert [r["step"] for r in follower.poll()] == [2] and follower.lines == 3


def test_eval_and_resume_go_on_with_a_damaged_log(damaged_runs, capsys):
    folder, clean = damaged_runs
    assert main(["eval", str(folder / "gan"), "-n", "0"]) == 0
    assert json.loads(capsys.readouterr().out)["model"] == "gan"
    before = (folder / "gan" / "metrics.jsonl").read_bytes()
    trainer = Trainer.resume(folder / "gan", epochs=3)
    summary = trainer.run_training()
    trainer.close()
    after = (folder / "gan" / "metrics.jsonl").read_bytes()
    assert summary["status"] == "finished" and after.startswith(before), \
        "the damaged lines stay (they are the user's bytes); new records follow them"
    steps = [r["step"] for r in RunDir(folder / "gan").metrics() if "d_loss" in r]
    assert steps == sorted(set(steps)) and steps[-1] == summary["step"]
