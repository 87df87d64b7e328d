"""The live training monitor (TrainingPanel) and the GAN workspace, offscreen."""

import dataclasses
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

import torch  # noqa: E402
from PySide6.QtWidgets import QCheckBox, QComboBox, QSpinBox  # noqa: E402

from studio.data import open_dataset  # noqa: E402
from studio.gui.app import configure_pyqtgraph, create_main_window  # noqa: E402
from studio.gui.context import StudioContext  # noqa: E402
from studio.gui.gan_workspace import GanWorkspace  # noqa: E402
from studio.gui.training import PlotSpec, TrainingPanel, WarningRule  # noqa: E402
from studio.gui.training_form import ScientificSpinBox  # noqa: E402
from studio.models import gan  # noqa: E402
from studio.session.forms import Budget  # noqa: E402
from studio.train.run import RunDir  # noqa: E402

TINY = dataclasses.replace(gan.DCGAN, z_dim=8, width=8)
DATA = "builtin:n=48,seed=3"
WAIT_MS = 120_000  # the machine is shared: be generous


@pytest.fixture(autouse=True)
def isolated(isolated_app):
    configure_pyqtgraph()


@pytest.fixture(scope="module")
def tiny_set():
    return open_dataset(DATA)


def make_panel(qtbot, tiny_set, epochs=2, panel_cls=GanWorkspace, **kwargs):
    context = StudioContext()
    context.set_dataset(tiny_set)
    panel = panel_cls(context, **kwargs)
    qtbot.addWidget(panel)
    panel.form.set_config(TINY)
    panel.set_budget(Budget("epochs", epochs))
    panel.batch_box.setValue(8)  # 43 training sprites → 5 steps per epoch
    panel.device_box.setCurrentText("cpu")
    panel.resize(1200, 760)
    panel.show()
    return panel


def latest_step(panel) -> int:
    x, _ = panel.history.series("d_loss")
    return int(x[-1]) if len(x) else 0


@pytest.mark.slow
def test_trains_a_tiny_gan_and_the_plots_and_samples_fill(qtbot, tiny_set, tmp_path):
    panel = make_panel(qtbot, tiny_set, epochs=4)
    with qtbot.waitSignal(panel.trainingFinished, timeout=WAIT_MS) as done:
        assert panel.start_training()
    summary = done.args[0]
    assert summary["status"] == "finished" and summary["step"] == 20
    run = RunDir(summary["run"])
    assert run.path.parent == tmp_path / "runs" and run.path.name.startswith("gan-")
    assert Path(summary["checkpoint"]).is_file()
    qtbot.waitUntil(lambda: panel.curves["d_loss"].xData is not None, timeout=WAIT_MS)
    for key in ("d_loss", "g_loss", "d_real", "d_fake", "d_grad_norm", "g_grad_norm"):
        assert panel.points(key) == 2, key  # logged at steps 10 and 20
        assert len(panel.curves[key].xData) == 2, key
    h, w = panel.sample_view.image_shape()
    assert h > 20 and w > 20  # a grid of sprites, not the placeholder
    assert "CPU" in panel.device_label.text()
    assert panel.progress_bar.value() == panel.progress_bar.maximum() == 20
    assert panel.state == "idle" and panel.train_button.isEnabled()


@pytest.mark.slow
def test_pause_resume_stop_and_resume_the_stopped_run(qtbot, tiny_set):
    panel = make_panel(qtbot, tiny_set, epochs=10_000)
    assert panel.start_training()
    qtbot.waitUntil(lambda: panel.points("d_loss") >= 1, timeout=WAIT_MS)

    panel.pause_button.click()
    assert panel.state == "paused" and panel.resume_button.isEnabled() and not panel.pause_button.isEnabled()
    qtbot.wait(500)  # let the step in flight and its queued records arrive
    paused_at = panel.points("d_loss")
    qtbot.wait(1000)
    assert panel.points("d_loss") == paused_at  # nothing trains while paused

    panel.resume_button.click()
    assert panel.state == "running"
    qtbot.waitUntil(lambda: panel.points("d_loss") > paused_at, timeout=WAIT_MS)

    with qtbot.waitSignal(panel.trainingFinished, timeout=WAIT_MS) as stopped:
        panel.stop_button.click()
    summary = stopped.args[0]
    assert summary["status"] == "stopped" and Path(summary["checkpoint"]).is_file()
    assert panel.state == "idle" and panel.resume_button.isEnabled()

    # Resume continues the same run folder from its checkpoint.
    panel.resume_button.click()
    assert panel.state == "running"
    qtbot.waitUntil(lambda: latest_step(panel) > summary["step"], timeout=WAIT_MS)
    with qtbot.waitSignal(panel.trainingFinished, timeout=WAIT_MS) as again:
        panel.stop()
    assert again.args[0]["run"] == summary["run"] and again.args[0]["step"] > summary["step"]
    steps = [r["step"] for r in RunDir(summary["run"]).metrics()]
    assert steps == sorted(steps) and steps[-1] == again.args[0]["step"]


@pytest.mark.slow
def test_closing_the_window_during_training_stops_cleanly_with_a_checkpoint(qtbot, tiny_set):
    win = create_main_window()
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.datasetLoaded, timeout=WAIT_MS):
        win.show()
    win.context.set_dataset(tiny_set)
    panel = win.show_workspace("GAN")
    panel.form.set_config(TINY)
    panel.set_budget(Budget("epochs", 10_000))
    panel.batch_box.setValue(8)
    assert panel.start_training()
    qtbot.waitUntil(lambda: panel.points("d_loss") >= 1, timeout=WAIT_MS)
    run_path = panel.run_path

    win.close()  # MainWindow.closeEvent → panel.shutdown(): stop and wait

    assert panel.session.wait(0)  # training has returned
    qtbot.waitUntil(lambda: not panel.is_training(), timeout=WAIT_MS)  # and the panel heard of it
    checkpoint = RunDir(run_path).latest_checkpoint()
    assert checkpoint is not None and checkpoint.is_file()


@pytest.mark.slow
def test_a_nan_in_training_shows_the_error_and_the_app_keeps_working(qtbot, tiny_set, monkeypatch):
    panel = make_panel(qtbot, tiny_set, epochs=4)
    original = gan.Task.train_step

    def diverging(self, nets, batch):
        metrics = original(self, nets, batch)
        metrics["d_loss"] = torch.tensor(float("nan"))
        return metrics

    monkeypatch.setattr(gan.Task, "train_step", diverging)
    with qtbot.waitSignal(panel.trainingFailed, timeout=WAIT_MS) as failed:
        panel.start_training()
    assert "diverged" in failed.args[0] and "d_loss" in failed.args[0]
    assert panel.error_banner.isVisible() and "diverged" in panel.error_banner.text()
    assert panel.state == "idle" and panel.train_button.isEnabled()

    monkeypatch.setattr(gan.Task, "train_step", original)
    with qtbot.waitSignal(panel.trainingFinished, timeout=WAIT_MS) as done:
        panel.start_training()
    assert done.args[0]["status"] == "finished"
    assert not panel.error_banner.isVisible()


@pytest.mark.slow
def test_follows_a_run_written_by_the_cli(qtbot, tiny_set, tmp_path):
    config_file = tmp_path / "tiny.json"
    config_file.write_text(json.dumps(dataclasses.asdict(TINY)))
    run_path = tmp_path / "cli-run"
    proc = subprocess.Popen([sys.executable, "-m", "studio", "train", "gan", "--data", DATA,
                             "--config", str(config_file), "--steps", "20", "--batch-size", "8",
                             "--device", "cpu", "--out", str(run_path), "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        panel = make_panel(qtbot, tiny_set)
        qtbot.waitUntil(lambda: (run_path / "config.json").is_file(), timeout=WAIT_MS)
        assert panel.open_run(run_path)
        assert panel.state == "following"
        qtbot.waitUntil(lambda: panel.points("d_loss") == 2 and panel.sample_view.image_shape()[0] > 20,
                        timeout=WAIT_MS)
    finally:
        out, err = proc.communicate(timeout=WAIT_MS / 1000)
    assert proc.returncode == 0, err.decode()
    assert panel.form.config() == TINY  # the form shows the run's settings
    qtbot.waitUntil(lambda: panel.progress_bar.value() == 20, timeout=WAIT_MS)
    assert "finished" in panel.progress_bar.text()


@pytest.mark.slow
def test_an_opened_stopped_run_resumes_unless_another_process_may_be_writing_it(qtbot, tiny_set,
                                                                                 monkeypatch):
    from studio.session import monitor

    first = make_panel(qtbot, tiny_set, epochs=4)
    first.settings_overrides = {"max_steps": 10}
    with qtbot.waitSignal(first.trainingFinished, timeout=WAIT_MS) as stopped:
        first.start_training()
    assert stopped.args[0]["status"] == "stopped at max_steps"

    panel = make_panel(qtbot, tiny_set, epochs=1)
    assert panel.open_run(stopped.args[0]["run"])
    assert panel.budget() == Budget("epochs", 4) and panel.resume_button.isEnabled()
    panel.resume_button.click()  # just written: maybe still training elsewhere
    assert panel.state == "following" and "another process" in panel.error_banner.text()

    monkeypatch.setattr(monitor, "LIVE_SECONDS", 0)
    with qtbot.waitSignal(panel.trainingFinished, timeout=WAIT_MS) as done:
        panel.resume_button.click()
    assert done.args[0]["status"] == "finished" and done.args[0]["step"] == 20
    assert done.args[0]["run"] == stopped.args[0]["run"]
    x, _ = panel.history.series("d_loss")
    assert list(x) == [10, 20]


def test_followed_val_metrics_are_plotted_and_warning_rules_raise_the_banner(qtbot, tiny_set, tmp_path, gan_run_record):
    rule = WarningRule("val/diversity_ratio", below=0.5, message="mode collapse: samples look alike")
    panel = make_panel(qtbot, tiny_set, panel_cls=TrainingPanel, model="gan",
                       plots=[PlotSpec("Loss", keys=["d_loss"]),
                              PlotSpec("Diversity", keys=["val/diversity_ratio"])],
                       warnings=[rule])
    run = gan_run_record(tmp_path / "run", epochs=3)
    assert panel.open_run(run.path)
    run.append_metrics({"step": 5, "epoch": 1.0, "time": 1.0, "d_loss": 1.2})
    run.append_metrics({"step": 5, "epoch": 1.0, "time": 1.0, "val/diversity_ratio": 0.9})
    qtbot.waitUntil(lambda: panel.points("val/diversity_ratio") == 1, timeout=WAIT_MS)
    assert panel.points("d_loss") == 1 and not panel.warning_banner.isVisible()

    run.append_metrics({"step": 10, "epoch": 2.0, "time": 2.0, "d_loss": 1.1})
    run.append_metrics({"step": 10, "epoch": 2.0, "time": 2.0, "val/diversity_ratio": 0.3})
    qtbot.waitUntil(lambda: panel.warning_banner.isVisible(), timeout=WAIT_MS)
    assert "mode collapse" in panel.warning_banner.text() and "0.3" in panel.warning_banner.text()
    qtbot.waitUntil(lambda: panel.curves["val/diversity_ratio"].xData is not None
                    and len(panel.curves["val/diversity_ratio"].xData) == 2, timeout=WAIT_MS)

    run.append_metrics({"step": 15, "epoch": 3.0, "time": 3.0, "val/diversity_ratio": 0.8})
    qtbot.waitUntil(lambda: not panel.warning_banner.isVisible(), timeout=WAIT_MS)


@pytest.mark.slow
def test_main_window_opens_a_run_in_the_workspace_that_trains_its_model(qtbot, tmp_path, gan_run_record):
    run = gan_run_record(tmp_path / "run", epochs=3)
    run.append_metrics({"step": 10, "epoch": 2.0, "time": 2.0, "d_loss": 1.1, "g_loss": 0.7})
    win = create_main_window()
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.datasetLoaded, timeout=WAIT_MS):
        win.show()
    panel = win.open_run(str(run.path))
    assert panel is win.workspaces["GAN"] and win.tabs.currentWidget() is panel
    assert panel.points("d_loss") == 1 and panel.points("g_loss") == 1


def test_settings_form_is_generated_from_the_config_dataclass(qtbot, tiny_set):
    panel = make_panel(qtbot, tiny_set)
    editors = panel.form.editors
    assert set(editors) == {f for f in gan.Config.__dataclass_fields__}
    assert isinstance(editors["z_dim"], QSpinBox) and isinstance(editors["spectral_norm"], QCheckBox)
    assert isinstance(editors["lr_g"], ScientificSpinBox) and editors["lr_g"].text() == "0.0002"
    assert isinstance(editors["loss"], QComboBox)
    assert [editors["loss"].itemText(i) for i in range(editors["loss"].count())] == list(gan.LOSSES)
    assert "widest layer" in editors["width"].toolTip()  # the dataclass comment

    panel.form.preset_box.setCurrentText("wgan-gp")
    assert panel.form.config() == gan.CONFIGS["wgan-gp"]
    editors["lr_g"].setValue(5e-4)
    assert panel.form.preset() == "custom" and panel.form.config().lr_g == pytest.approx(5e-4)
    panel.form.set_config(gan.CONFIGS["hinge-sn"])
    assert panel.form.preset() == "hinge-sn" and editors["spectral_norm"].isChecked()


@pytest.mark.slow
def test_every_model_panel_plots_the_yardstick_at_its_interval(qtbot, tiny_set):
    panel = make_panel(qtbot, tiny_set, epochs=2)
    panel.settings_overrides = {"score_every": 1, "score_count": 16}
    with qtbot.waitSignal(panel.trainingFinished, timeout=WAIT_MS):
        assert panel.start_training()
    qtbot.waitUntil(lambda: panel.curves["val/c2st"].xData is not None, timeout=WAIT_MS)
    for key in ("val/c2st", "val/precision", "val/recall", "val/copy_rate"):
        assert panel.points(key) == 2, key  # one score per epoch end
    assert panel.latest.rows["val/c2st"].text() != "—"


def test_the_may_still_be_training_banner_goes_when_the_followed_run_ends(qtbot, tiny_set, tmp_path, gan_run_record):
    from studio.train.run import RunLock

    panel = make_panel(qtbot, tiny_set, panel_cls=TrainingPanel, model="gan")
    run = gan_run_record(tmp_path / "run", epochs=2)
    run.append_metrics({"step": 5, "epoch": 1.0, "time": 1.0, "d_loss": 1.2})
    run.step_checkpoint(5).write_bytes(b"stand-in")
    with RunLock(run.path):  # `studio train` is writing it
        assert panel.open_run(run.path, resume=True)  # the Runs view's Resume
        assert panel.state == "following" and panel.error_banner.isVisible()
        assert "another process" in panel.error_banner.text() and not panel.resume_button.isEnabled()
        run.append_metrics({"step": 10, "epoch": 2.0, "time": 2.0, "d_loss": 1.1})  # its last record
        qtbot.waitUntil(lambda: panel.points("d_loss") == 2, timeout=WAIT_MS)
        assert panel.error_banner.isVisible()  # it holds the lock: still writing its checkpoint
    # The writer lets go: the banner goes, the bar says the run is over, Resume is offered.
    qtbot.waitUntil(lambda: not panel.error_banner.isVisible(), timeout=WAIT_MS)
    assert "finished" in panel.progress_bar.text() and panel.resume_button.isEnabled()


def test_the_monitors_plots_smooth_take_a_log_scale_and_export(qtbot, tiny_set, tiny_runs, tmp_path, monkeypatch):
    import csv

    import numpy as np
    from PySide6.QtWidgets import QFileDialog

    from studio.session.plots import smooth

    panel = make_panel(qtbot, tiny_set, panel_cls=GanWorkspace, auto_load=False)
    assert panel.open_run(tiny_runs["gan"], show_settings=False)
    qtbot.waitUntil(lambda: panel.curves["d_loss"].getData()[0] is not None
                    and len(panel.curves["d_loss"].getData()[0]) > 1, timeout=WAIT_MS)
    _, raw = panel.history.series("d_loss")
    assert np.allclose(panel.curves["d_loss"].getData()[1], raw)  # raw until the learner smooths
    panel.plot_controls.set_smoothing(0.8)
    qtbot.waitUntil(lambda: np.allclose(panel.curves["d_loss"].getData()[1], smooth(raw, 0.8)), timeout=WAIT_MS)
    assert np.allclose(panel.plots.raw_curves["d_loss"].getData()[1], raw)  # the raw values, faint
    panel.plot_controls.log_check.setChecked(True)
    assert all(item.ctrl.logYCheck.isChecked() for item in panel.plots.items)
    for suffix, button in (("png", panel.plot_controls.png_button), ("csv", panel.plot_controls.csv_button)):
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, s=suffix, **k: (str(tmp_path / f"m.{s}"), ""))
        button.click()
    assert (tmp_path / "m.png").read_bytes()[:4] == b"\x89PNG"
    rows = list(csv.reader((tmp_path / "m.csv").open()))
    d_rows = [r for r in rows[1:] if r[0].endswith(": D loss")]
    assert len(d_rows) == len(raw) and float(d_rows[-1][3]) == pytest.approx(smooth(raw, 0.8)[-1])
