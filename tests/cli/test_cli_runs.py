"""Folders and names on the command line: `--out` takes a new or empty folder and says which;
`studio runs delete / rename / undo` act only on runs inside a runs folder; names are printed
with control characters escaped."""

from __future__ import annotations

import shutil

import pytest

from studio.cli import main
from studio.session.runs import TRASH

TINY = ["--data", "builtin:n=16", "--batch-size", "8", "--steps", "1", "--quiet", "--device", "cpu"]


@pytest.fixture()
def tiny_config(tmp_path) -> list[str]:
    path = tmp_path / "tiny.toml"
    path.write_text("z_dim = 8\nwidth = 8\n")
    return ["--config", str(path)]


@pytest.fixture()
def runs_dir(tiny_runs, tmp_path):
    folder = tmp_path / "runs"
    for model in ("gan", "vae"):
        shutil.copytree(tiny_runs[model], folder / model)
    return folder


@pytest.fixture(autouse=True)
def app_runs_folder(tmp_path, monkeypatch):
    """The app's runs folder, which the run actions also know: a throw-away one, never the user's."""
    monkeypatch.setenv("STUDIO_RUNS_DIR", str(tmp_path / "app-runs"))


def last_err(capsys) -> str:
    return capsys.readouterr().err.strip().splitlines()[-1]


# --- --out ---------------------------------------------------------------------------------------------
def test_out_a_file_is_one_line_and_the_file_is_untouched(tmp_path, capsys, tiny_config):
    existing = tmp_path / "existing.txt"
    existing.write_text("my notes")
    assert main(["train", "gan", *TINY, *tiny_config, "--out", str(existing)]) == 2
    assert last_err(capsys) == f"studio: {existing}: is a file, not a folder (give --out a new or empty folder)"
    assert existing.read_text() == "my notes"


def test_out_a_folder_of_the_users_files_is_refused_and_left_as_it_was(tmp_path, capsys, tiny_config):
    folder = tmp_path / "thesis"
    folder.mkdir()
    (folder / "chapter1.tex").write_text("...")
    assert main(["train", "gan", *TINY, *tiny_config, "--out", str(folder)]) == 2
    assert "holds 1 other file(s) (e.g. 'chapter1.tex') and is not a run" in last_err(capsys)
    assert [p.name for p in folder.iterdir()] == ["chapter1.tex"]


def test_out_says_which_folder_it_got(tmp_path, capsys, tiny_config):
    (tmp_path / "empty").mkdir()
    assert main(["train", "gan", *TINY, *tiny_config, "--out", str(tmp_path / "empty")]) == 0
    assert f"-> {tmp_path / 'empty'} (an empty folder)" in capsys.readouterr().err
    assert main(["train", "gan", *TINY, *tiny_config, "--out", str(tmp_path / "new")]) == 0
    assert f"-> {tmp_path / 'new'} (a new folder)" in capsys.readouterr().err
    assert main(["train", "gan", "--resume", str(tmp_path / "new"), "--steps", "2", "--quiet"]) == 0
    assert "(a run, resumed)" in capsys.readouterr().err
    assert main(["train", "gan", *TINY, *tiny_config, "--out", str(tmp_path / "new")]) == 2
    assert "already holds a run (continue it with --resume" in last_err(capsys)


def test_out_a_name_with_a_terminal_escape_is_refused(tmp_path, capsys, tiny_config):
    assert main(["train", "gan", *TINY, *tiny_config, "--out", str(tmp_path / "run\x1b[2J")]) == 2
    line = last_err(capsys)
    assert "\x1b" not in line and "control characters" in line
    assert list(tmp_path.iterdir()) == [tmp_path / "tiny.toml"]


# --- names shown escaped -----------------------------------------------------------------------------
def test_runs_list_escapes_control_characters_in_names(runs_dir, capsys):
    (runs_dir / "gan").rename(runs_dir / "evil\x1b[2J\nname")
    assert main(["runs", "list", str(runs_dir)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "evil\\x1b[2J\\nname" in out
    assert len(out.strip().splitlines()) == 3  # the header and one line a run


def test_an_error_line_escapes_a_path_it_names(tmp_path, capsys):
    assert main(["eval", str(tmp_path / "bad\x1b]0;owned\x07")]) == 2
    line = capsys.readouterr().err
    assert "\x1b" not in line and "\x07" not in line and "bad\\x1b]0;owned\\x07" in line


# --- runs delete / rename / undo -------------------------------------------------------------------------
def test_runs_delete_rename_and_undo(runs_dir, capsys):
    assert main(["runs", "delete", "gan", "--dir", str(runs_dir)]) == 0
    out = capsys.readouterr().out
    assert "moved" in out and f"{runs_dir / TRASH}" in out and not (runs_dir / "gan").exists()
    assert main(["runs", "undo", "--dir", str(runs_dir)]) == 0
    assert f"restored {runs_dir / 'gan'}" in capsys.readouterr().out and (runs_dir / "gan" / "config.json").is_file()
    assert main(["runs", "rename", str(runs_dir / "vae"), "my vae", "--dir", str(runs_dir)]) == 0
    assert (runs_dir / "my vae" / "config.json").is_file()
    assert main(["runs", "undo", "--dir", str(runs_dir)]) == 0
    assert "holds no run" in capsys.readouterr().out


@pytest.mark.parametrize("argv, expected", [
    (["runs", "delete", "RUNS"], "is the runs folder"),
    (["runs", "delete", "TMP"], "above the runs folder"),
    (["runs", "delete", "gan", "TMP/elsewhere"], "is not a run in"),
    (["runs", "rename", "gan", "x" * 300], "at most 100 characters"),
    (["runs", "rename", "gan", "a/b"], "path separator"),
    (["runs", "rename", "gan", "vae"], "already exists"),
])
def test_runs_actions_refuse_with_one_line_and_move_nothing(runs_dir, tmp_path, capsys, argv, expected):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "config.json").write_text("{}")
    (tmp_path / "thesis.tex").write_text("mine")
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    argv = [a.replace("RUNS", str(runs_dir)).replace("TMP", str(tmp_path)) for a in argv]
    assert main([*argv, "--dir", str(runs_dir)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and expected in err and "Traceback" not in err
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before
