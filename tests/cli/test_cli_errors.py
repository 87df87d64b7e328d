"""Every expected failure is one line `studio: <file>: <what> (<what to do>)`, exit 2; an
interrupt exits 130; a real bug keeps its traceback. (Numeric arguments refused up front:
test_cli_bounds.py.)"""

from __future__ import annotations

import dataclasses
import json
import os

import pytest

from studio.cli import main
from studio.data.builtin import builtin_creatures
from studio.models import gan
from studio.train.engine import Trainer, TrainSettings


@pytest.fixture(scope="module")
def gan_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("runs") / "gan"
    settings = TrainSettings(epochs=1, batch_size=8, sample_every=0, sample_count=0, device="cpu")
    Trainer("gan", dataclasses.replace(gan.DCGAN, z_dim=8, width=8), builtin_creatures(n=24), settings, path).run_training()
    return path


def error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def _damaged_run(gan_run, tmp_path, edit) -> str:
    run = tmp_path / "run"
    run.mkdir()
    config = json.loads((gan_run / "config.json").read_text())
    text = edit(config)
    (run / "config.json").write_text(text if isinstance(text, str) else json.dumps(config))
    return str(run)


@pytest.mark.parametrize("edit, expected", [
    (lambda c: "{not json", "malformed JSON"),
    (lambda c: c.pop("model_config"), "the key 'model_config' is missing"),
    (lambda c: c["train"].update(epochs="ten"), 'epochs must be a whole number, got "ten"'),
    (lambda c: c["train"].update(batch_size=0), "batch_size must be at least 1, got 0"),
    (lambda c: c.update(model="autoencoder"), "unknown model 'autoencoder'"),
    (lambda c: c["data"].update(palette=[[0, 0]]), "'data.palette' must be"),
    (lambda c: c["model_config"].update(z_dim=[1]), "z_dim must be a whole number"),
])
def test_a_damaged_run_config_is_one_line_naming_the_file(gan_run, tmp_path, capsys, edit, expected):
    run = _damaged_run(gan_run, tmp_path, edit)
    assert main(["eval", run]) == 2
    line = error_line(capsys)
    assert line.startswith(f"studio: {run}/config.json") and expected in line


def test_checkpoint_and_output_errors_are_one_line(gan_run, tmp_path, capsys):
    crafted = tmp_path / "crafted.pt"
    import pickle

    class Payload:
        def __reduce__(self):
            return (print, ("code ran",))

    crafted.write_bytes(pickle.dumps(Payload()))
    run = tmp_path / "copy"
    import shutil

    shutil.copytree(gan_run, run)
    shutil.copy(crafted, run / "checkpoints" / "crafted.pt")
    assert main(["sample", str(run), "-o", str(tmp_path / "s.png"), "--checkpoint", "crafted.pt"]) == 2
    line = error_line(capsys)
    assert "crafted.pt: refused to load" in line and "weights_only" not in line

    assert main(["sample", str(run), "-o", str(tmp_path / "s.png"), "--checkpoint", "nope.pt"]) == 2
    assert "no checkpoint 'nope.pt' (choose one of best, last, step_" in error_line(capsys)

    assert main(["data", "preview", "builtin", "-o", str(tmp_path / "big.png"), "--count", "4096",
                 "--scale", "64"]) == 2
    assert "the picture would be" in error_line(capsys)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root may write into a read-only folder")
def test_an_unwritable_output_folder_is_one_line(tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        assert main(["data", "preview", "builtin", "-o", str(folder / "x.png")]) == 2
        line = error_line(capsys)
        assert str(folder / "x.png") in line and "permission denied" in line.lower()
    finally:
        folder.chmod(0o700)


def test_train_refuses_an_existing_run_and_a_resume_of_another_model(gan_run, capsys):
    assert main(["train", "vae", "--out", str(gan_run), "--quiet"]) == 2
    assert "already holds a run (continue it with --resume" in error_line(capsys)
    assert main(["train", "vae", "--resume", str(gan_run), "--quiet"]) == 2
    assert "a gan run, not vae (studio train gan --resume" in error_line(capsys)


def test_an_interrupt_exits_130_and_a_bug_keeps_its_traceback(monkeypatch, capsys):
    import studio.cli.data as data_cli

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(data_cli, "run_info", interrupted)
    assert main(["data", "info", "builtin"]) == 130
    assert "interrupted" in capsys.readouterr().err

    def buggy(args):
        return 1 / 0

    monkeypatch.setattr(data_cli, "run_info", buggy)
    with pytest.raises(ZeroDivisionError):  # not swallowed into a line
        main(["data", "info", "builtin"])
