"""The Runs view: the runs list as a table; open, delete + undo, compare two runs' curves."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil  # noqa: E402

import pytest  # noqa: E402

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from studio.gui.context import StudioContext  # noqa: E402
from studio.gui.runs_workspace import RunsWorkspace  # noqa: E402

pytestmark = pytest.mark.usefixtures("isolated_app")


@pytest.fixture()
def view(qtbot, tiny_runs, tmp_path):
    folder = tmp_path / "runs"
    for model in ("gan", "vae"):
        shutil.copytree(tiny_runs[model], folder / f"{model}-tiny")
    shutil.copytree(tiny_runs["vae"], folder / "vae-second")
    (folder / "broken").mkdir()
    (folder / "broken" / "config.json").write_text("{")
    ws = RunsWorkspace(StudioContext(), folders=[folder])
    qtbot.addWidget(ws)
    ws.show()
    return ws


def names(view):
    return [view.table.item(r, 0).text() for r in range(view.table.rowCount())]


def test_lists_every_run_with_a_thumbnail_and_marks_the_broken_one(view):
    assert sorted(names(view)) == ["gan-tiny", "vae-second", "vae-tiny", "⚠ broken"]
    row = names(view).index("vae-tiny")
    assert view.table.item(row, 1).text() == "vae" and "elbo" in view.table.item(row, 5).text()
    assert not view.table.item(row, 0).icon().isNull()
    view.select("broken")
    assert not view.buttons["Open"].isEnabled() and view.buttons["Delete"].isEnabled()


def test_open_asks_the_window_for_the_runs_workspace(view, qtbot):
    view.select("gan-tiny")
    with qtbot.waitSignal(view.context.runRequested) as asked:
        view.buttons["Open"].click()
    assert asked.args[0].endswith("gan-tiny") and asked.args[1] is False


def test_delete_goes_to_the_trash_and_undo_brings_it_back(view):
    view.select("vae-second")
    view.buttons["Delete"].click()
    assert "vae-second" not in names(view) and view.buttons["Undo delete"].isEnabled()
    view.buttons["Undo delete"].click()
    assert "vae-second" in names(view)


def test_two_selected_runs_are_compared_on_a_metric_both_logged(view):
    view.select("vae-tiny", "vae-second")
    assert view.metric_box.findText("loss") >= 0
    view.metric_box.setCurrentText("loss")
    drawn = view.compared()
    assert set(drawn) == {"vae-tiny", "vae-second"} and all(len(y) == 5 for y in drawn.values())


def test_a_name_with_control_characters_is_shown_escaped(view):
    folder = view.runs.folders[0]
    (folder / "gan-tiny").rename(folder / "evil\x1b[2J\nname")
    view.runs.refresh()
    assert "evil\\x1b[2J\\nname" in names(view)
    assert not any("\x1b" in name or "\n" in name for name in names(view))


def test_a_run_being_written_is_not_deleted(view, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from studio.train.run import RunLock

    warned = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: warned.append(args[-1]))
    folder = view.runs.folders[0]
    with RunLock(folder / "vae-second"):
        view.select("vae-second")
        view.buttons["Delete"].click()
    assert "vae-second" in names(view) and "is writing this run" in warned[0]


def test_any_number_of_runs_smoothed_on_a_log_scale_and_exported(view, monkeypatch, tmp_path):
    import csv

    import numpy as np
    from PySide6.QtWidgets import QFileDialog

    from studio.session.plots import smooth
    from studio.session.runs import compare_curves

    view.select("gan-tiny", "vae-tiny", "vae-second")
    assert len(view.metric_plot.runs) == 3
    view.metric_box.setCurrentText("loss")  # the two VAE runs logged it; the GAN did not
    raw = {name: y for name, (_, y) in compare_curves([view.runs.folders[0] / "vae-tiny"], "loss").items()}
    view.plot_controls.set_smoothing(0)
    drawn = view.compared()
    assert set(drawn) == {"vae-tiny", "vae-second"} and np.allclose(drawn["vae-tiny"], raw["vae-tiny"])
    assert view.compared(raw=True) == {}  # no faint lines without smoothing
    view.plot_controls.set_smoothing(0.9)
    assert np.allclose(view.compared()["vae-tiny"], smooth(raw["vae-tiny"], 0.9))
    assert np.allclose(view.compared(raw=True)["vae-tiny"], raw["vae-tiny"])
    assert "smoothed 0.90" in view.compare_note.text()
    view.plot_controls.log_check.setChecked(True)
    assert view.plot.getPlotItem().ctrl.logYCheck.isChecked() and view.metric_plot.log_y
    view.metric_box.setCurrentText("d_loss")  # any metric, logged by one run only
    assert set(view.compared()) == {"gan-tiny"}
    # Export: the PNG through pyqtgraph, the CSV holds the points drawn.
    for suffix, button in (("png", view.plot_controls.png_button), ("csv", view.plot_controls.csv_button)):
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, s=suffix, **k: (str(tmp_path / f"out.{s}"), ""))
        button.click()
    assert (tmp_path / "out.png").read_bytes()[:4] == b"\x89PNG"
    rows = list(csv.reader((tmp_path / "out.csv").open()))
    assert rows[0] == ["run", "step", "d_loss", "d_loss (smoothed)"] and {r[0] for r in rows[1:]} == {"gan-tiny"}
