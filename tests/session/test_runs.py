"""The runs list without Qt: summaries, a broken run among healthy ones, rename, delete + undo."""

from __future__ import annotations

import errno
import os
import shutil

import pytest

from studio.cli import main
from studio.errors import RunActionError
from studio.session.runs import TRASH, RunsList, compare_curves, shared_metrics, summarize
from studio.train.run import RunLock


@pytest.fixture()
def runs_dir(tiny_runs, tmp_path):
    folder = tmp_path / "runs"
    for model in ("gan", "vae"):
        shutil.copytree(tiny_runs[model], folder / f"{model}-tiny")
    (folder / "broken").mkdir()
    (folder / "broken" / "config.json").write_text("{not json")
    return folder


def test_every_run_is_summarised_and_a_broken_one_is_marked(runs_dir):
    runs = RunsList([runs_dir])
    changes = []
    runs.changed.connect(lambda: changes.append(1))
    by_name = {r.name: r for r in runs.refresh()}
    assert set(by_name) == {"gan-tiny", "vae-tiny", "broken"} and changes == [1]
    vae = by_name["vae-tiny"]
    assert (vae.model, vae.dataset, vae.config_name, vae.steps, vae.total) == ("vae", "builtin creatures", "custom", 10, 10)
    assert vae.best[0] == "elbo_bits_per_pixel" and vae.best[1] > 0 and vae.problem is None
    assert vae.thumbnail is not None and vae.thumbnail.is_file() and vae.date is not None
    assert "broken/config.json" in by_name["broken"].problem and "malformed JSON" in by_name["broken"].problem
    assert by_name["gan-tiny"].best[0] == "mmd"


def test_rename_then_delete_to_the_trash_and_undo(runs_dir, tmp_path):
    runs = RunsList([runs_dir])
    runs.refresh()
    renamed = runs.rename(runs_dir / "vae-tiny", "my vae")
    assert renamed == runs_dir / "my vae" and "my vae" in {r.name for r in runs.runs}
    with pytest.raises(RunActionError, match="already exists"):
        runs.rename(renamed, "gan-tiny")
    with pytest.raises(ValueError, match="path separator"):  # RunActionError is a ValueError
        runs.rename(renamed, "../escape")
    trashed = runs.delete(renamed)
    assert trashed.parent.parent == runs_dir / TRASH and trashed.is_dir() and not renamed.exists()
    assert "my vae" not in {r.name for r in runs.runs} and runs.can_undo
    assert runs.undo_delete() == renamed and renamed.is_dir() and not runs.can_undo
    assert summarize(renamed).model == "vae"
    assert not any((runs_dir / TRASH).iterdir()), "the emptied trash entry goes"


@pytest.fixture()
def user_files(tmp_path):
    """The user's own files: beside the runs folder, and a run-like folder elsewhere."""
    (tmp_path / "thesis.tex").write_text("three years of work")
    elsewhere = tmp_path / "elsewhere" / "looks-like-a-run"
    elsewhere.mkdir(parents=True)
    (elsewhere / "config.json").write_text("{}")
    (elsewhere / "notes.txt").write_text("mine")
    return tmp_path


def test_delete_and_rename_touch_only_runs_inside_a_runs_folder(runs_dir, user_files):
    runs = RunsList([runs_dir])
    (runs_dir / "link-out").symlink_to(user_files / "elsewhere" / "looks-like-a-run")
    (runs_dir / "notes").mkdir()
    before = sorted(str(p) for p in user_files.rglob("*"))
    refused = {
        runs_dir: "is the runs folder",
        runs_dir.parent: "above the runs folder",
        runs_dir / "gan-tiny" / "..": "is the runs folder",
        user_files / "elsewhere" / "looks-like-a-run": "is not a run in",
        runs_dir / "link-out": "a link to",
        runs_dir / "notes": "not a run folder",
        runs_dir / "gone": "no such run folder",
        runs_dir / "gan-tiny" / "checkpoints": "is not a run in",
    }
    for path, why in refused.items():
        with pytest.raises(RunActionError, match=why):
            runs.delete(path)
        with pytest.raises(RunActionError, match=why):
            runs.rename(path, "new-name")
    assert sorted(str(p) for p in user_files.rglob("*")) == before, "nothing moved"
    assert not (runs_dir / TRASH).exists() and not (user_files / "trash").exists()


def test_run_names_are_checked_before_anything_moves(runs_dir):
    runs = RunsList([runs_dir])
    for name, why in (("x" * 300, "at most 100 characters"), ("a/b", "path separator"),
                      ("a\\b", "path separator"), ("line\nbreak", "control characters"),
                      ("\x1b[2Jcleared", "control characters"), ("   ", "cannot be empty"),
                      (".hidden", "start with a dot"), ("..", "start with a dot"), ("ok?", "file systems refuse")):
        with pytest.raises(RunActionError, match=why):
            runs.rename(runs_dir / "gan-tiny", name)
    assert (runs_dir / "gan-tiny").is_dir() and len(list(runs_dir.iterdir())) == 3
    assert runs.rename(runs_dir / "gan-tiny", "  Pikachu (v2) é  ") == runs_dir / "Pikachu (v2) é"


def test_a_run_being_written_is_neither_renamed_nor_deleted(runs_dir):
    runs = RunsList([runs_dir])
    with RunLock(runs_dir / "gan-tiny"):
        for action in (lambda: runs.delete(runs_dir / "gan-tiny"), lambda: runs.rename(runs_dir / "gan-tiny", "x")):
            with pytest.raises(RunActionError, match="is writing this run"):
                action()
    assert runs.delete(runs_dir / "gan-tiny").is_dir()


def test_delete_never_copies_and_removes_across_file_systems(runs_dir, monkeypatch):
    """A rename the file system refuses (another device) leaves the run where it was:
    no copy-then-delete fallback that could remove the user's files."""
    def cross_device(src, dst):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "rename", cross_device)
    with pytest.raises(RunActionError, match=r"another file system\); nothing was moved"):
        RunsList([runs_dir]).delete(runs_dir / "gan-tiny")
    assert (runs_dir / "gan-tiny" / "config.json").is_file()
    assert not any(p.name == "gan-tiny" for p in (runs_dir / TRASH).rglob("*"))


def test_undo_works_from_another_list_as_the_cli_uses_it(runs_dir):
    trashed = RunsList([runs_dir]).delete(runs_dir / "vae-tiny")
    later = RunsList([runs_dir])
    assert later.can_undo and later.trashed()[0][0] == trashed
    assert later.undo_delete() == runs_dir / "vae-tiny" and (runs_dir / "vae-tiny" / "config.json").is_file()
    assert later.undo_delete() is None


def test_two_runs_curves_compare_on_the_metrics_both_logged(tiny_runs):
    a, b = tiny_runs["vae"], tiny_runs["vae"]
    assert "loss" in shared_metrics([a, b]) and "d_loss" not in shared_metrics([a, tiny_runs["gan"]])
    curves = compare_curves([tiny_runs["vae"], tiny_runs["gan"]], "loss")
    steps, values = curves["vae-tiny"]
    assert len(steps) == len(values) == 5 and list(steps) == sorted(steps)
    assert len(curves["gan-tiny"][0]) == 0  # the GAN logs no "loss"


def test_studio_runs_list_prints_the_same_summaries(runs_dir, capsys):
    assert main(["runs", "list", str(runs_dir)]) == 0
    out = capsys.readouterr().out
    assert "gan-tiny" in out and "vae-tiny" in out and "elbo bits per pixel" in out
    broken = next(line for line in out.splitlines() if "broken" in line)
    assert "malformed JSON" in broken


def test_a_run_another_process_writes_is_live_not_broken_and_gone_folders_are_sorted_out(tmp_path, gan_run_record):
    from studio.session.runs import existing_folders, summarize
    from studio.train.run import RunLock

    run = gan_run_record(tmp_path / "runs" / "gan-live")  # no checkpoint yet
    with RunLock(run.path):
        live = summarize(run.path)
        assert live.live and live.writer.startswith("PID ") and live.problem is None
        assert live.as_row()["state"] == "training (live)"
    over = summarize(run.path)
    assert not over.live and "no checkpoint yet" in over.problem
    kept, gone = existing_folders([tmp_path / "runs", tmp_path / "gone", tmp_path / "runs"])
    assert kept == [tmp_path / "runs"] and gone == [tmp_path / "gone"]
