"""Plots: TensorBoard's smoothing by hand, the log scale's left-out points, any metric of any
number of runs, and the CSV of exactly what is drawn."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest

from studio.errors import OutputError
from studio.session.plots import MetricPlot, csv_text, curve_from, log_safe, run_names, smooth


def test_smoothing_is_tensorboards_debiased_moving_average():
    # w = 0.5: m = 0.5, 1.25, 2.125; debiased by 1 - 0.5^n = 0.5, 0.75, 0.875.
    assert np.allclose(smooth([1, 2, 3], 0.5), [1.0, 1.25 / 0.75, 2.125 / 0.875])
    assert np.allclose(smooth([1, 2, 3], 0.0), [1, 2, 3])
    assert np.allclose(smooth([4, 4, 4, 4], 0.9), [4, 4, 4, 4])  # a constant stays put
    # Non-finite values pass through and do not count: the 3 is the second value averaged.
    out = smooth([1, math.nan, 3, math.inf], 0.5)
    assert out[0] == 1 and math.isnan(out[1]) and out[2] == pytest.approx(1.75 / 0.75) and out[3] == math.inf
    # The first point is the value itself (no pull towards 0), and a heavy smoothing lags.
    noisy = np.array([10.0, 0.0] * 20)
    assert smooth(noisy, 0.99)[0] == 10 and abs(smooth(noisy, 0.99)[-1] - 5) < 1.5
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        smooth([1, 2], 1.0)


def test_a_log_axis_leaves_out_what_it_cannot_show():
    assert np.array_equal(log_safe([-1, 0, 1e-3, math.inf, math.nan, 2]),
                          [math.nan, math.nan, 1e-3, math.nan, math.nan, 2], equal_nan=True)
    curve = curve_from("a", [0, 1, 2], [-1.0, 4.0, 2.0], smoothing=0.0)
    assert np.array_equal(curve.drawn(log_y=True), [math.nan, 4, 2], equal_nan=True)
    assert np.array_equal(curve.drawn(log_y=False), [-1, 4, 2])


def _run(folder, records):
    folder.mkdir(parents=True)
    (folder / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return folder


@pytest.fixture
def runs(tmp_path):
    a = _run(tmp_path / "one" / "gan-a", [{"step": s, "time": 0.5 * s, "cpu": 0.25 * s, "loss": 2.0 / (s + 1),
                                          "d_real": 0.5} for s in range(1, 11)])
    b = _run(tmp_path / "one" / "gan-b", [{"step": s, "time": s, "cpu": s, "loss": 1.0 - 0.2 * s}
                                         for s in range(0, 10, 2)])  # goes below 0 at step 6
    c = _run(tmp_path / "two" / "gan-a", [{"step": s, "cpu": s, "loss": 3.0, "g_loss": 1.0} for s in range(5)])
    return [a, b, c]


def test_any_metric_of_any_number_of_runs(runs):
    plot = MetricPlot(runs)
    assert plot.metrics() == ["loss", "d_real", "g_loss"]  # shared first, then the rest
    assert plot.metric == "loss"
    curves = plot.curves()
    assert [c.name for c in curves] == ["one/gan-a", "gan-b", "two/gan-a"]
    assert len({c.colour for c in curves}) == 3
    assert np.array_equal(curves[1].x, [0, 2, 4, 6, 8]) and np.allclose(curves[1].raw, [1, 0.6, 0.2, -0.2, -0.6])
    assert np.allclose(curves[0].smoothed, smooth(curves[0].raw, 0.6))
    events = []
    plot.changed.connect(events.append)
    plot.set_metric("g_loss")
    assert [c.name for c in plot.curves()] == ["two/gan-a"]  # only the run that logged it
    plot.set_x("cpu")
    plot.set_metric("loss")
    assert np.allclose(plot.curves()[0].x, 0.25 * np.arange(1, 11))
    plot.set_smoothing(0.0)
    plot.set_runs(runs[:1])
    assert events == ["metric", "style", "metric", "style", "runs"] and len(plot.curves()) == 1
    with pytest.raises(ValueError, match="step, time, cpu"):
        plot.set_x("epochs")


def test_the_csv_holds_exactly_the_points_drawn(runs, tmp_path):
    plot = MetricPlot(runs, metric="loss", smoothing=0.0, log_y=False)
    rows = list(csv.reader(io.StringIO(plot.csv_text())))
    assert rows[0] == ["run", "step", "loss", "loss (smoothed)"]
    assert len(rows) == 1 + 10 + 5 + 5
    row = next(r for r in rows if r[:2] == ["gan-b", "6"])
    assert float(row[2]) == float(row[3]) == pytest.approx(-0.2)  # drawn on a linear axis
    plot.set_log_y(True)
    assert plot.hidden_points() == 2
    logged = list(csv.reader(io.StringIO(plot.csv_text())))
    assert len(logged) == 1 + 10 + 3 + 5  # gan-b's two values below 0 are not drawn, nor written
    assert all(float(r[2]) > 0 for r in logged[1:])
    plot.set_smoothing(0.9)  # smoothed values stay positive longer than the raw ones: empty raw cells
    smoothed_rows = [r for r in csv.reader(io.StringIO(plot.csv_text())) if r[0] == "gan-b"]
    expected = smooth([1, 0.6, 0.2, -0.2, -0.6], 0.9)
    assert [float(r[3]) for r in smoothed_rows] == pytest.approx([v for v in expected if v > 0])
    assert "" in [r[2] for r in smoothed_rows]
    out = plot.export_csv(tmp_path / "out" / "plot.csv")
    assert out.read_text() == plot.csv_text()
    (tmp_path / "file").write_text("")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        plot.export_csv(tmp_path / "file" / "plot.csv")


def test_the_live_monitor_series_export_the_same_way():
    curve = curve_from("training", [1, 2, 3], [0.5, 0.25, 0.125], smoothing=0.5)
    text = csv_text([curve], "loss", "step", log_y=True)
    assert text.splitlines()[1] == f"training,1,0.5,{0.5!r}"
    assert run_names(["a/x", "b/x", "a/y"]) == ["a/x", "b/x", "y"]
