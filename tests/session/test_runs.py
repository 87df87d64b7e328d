"""The runs list without Qt: summaries, a broken run among healthy ones, rename, delete + undo."""

from __future__ import annotations

import shutil

import pytest

from studio.cli import main
from studio.session.runs import RunsList, compare_curves, shared_metrics, summarize


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
    runs = RunsList([runs_dir], trash=tmp_path / "trash")
    runs.refresh()
    renamed = runs.rename(runs_dir / "vae-tiny", "my vae")
    assert renamed == runs_dir / "my vae" and "my vae" in {r.name for r in runs.runs}
    with pytest.raises(ValueError, match="already exists"):
        runs.rename(renamed, "gan-tiny")
    with pytest.raises(ValueError, match="use letters"):
        runs.rename(renamed, "../escape")
    trashed = runs.delete(renamed)
    assert trashed.parent == tmp_path / "trash" and not renamed.exists()
    assert "my vae" not in {r.name for r in runs.runs} and runs.can_undo
    assert runs.undo_delete() == renamed and renamed.is_dir() and not runs.can_undo
    assert summarize(renamed).model == "vae"


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
