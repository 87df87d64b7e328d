"""Plots as a learner knows them from TensorBoard, Qt-free: any metric of any number of runs on
one plot, TensorBoard's smoothing, a log scale that never chokes, and the plot's data as CSV.

    plot = MetricPlot([run_a, run_b, run_c], metric="val/bits_per_pixel")
    plot.changed.connect(redraw)                  # "runs", "metric", "style", "data"
    plot.set_smoothing(0.6); plot.set_log_y(True); plot.set_x("cpu")
    for curve in plot.curves():                   # one per run that logged the metric
        line.setData(curve.x, curve.drawn(plot.log_y))            # the smoothed line
        faint.setData(curve.x, curve.drawn(plot.log_y, raw=True))  # the raw values, faint
    plot.export_csv("plot.csv")                  # exactly the points drawn, atomically
    plot.refresh()                                # re-read the runs (a training writes on)

The training monitor's live plots use the same pieces on the series it holds in memory:
``curve_from(name, x, values, smoothing)``, ``Curve.drawn`` and ``write_csv``.

Smoothing is TensorBoard's (its scalars dashboard): an exponential moving average debiased as
Adam's moments are (Kingma & Ba 2015), so the first points are not dragged towards 0:

    m_t = w·m_{t-1} + (1 − w)·v_t,  m_0 = 0;   smoothed_t = m_t / (1 − w^n)

with n the number of finite values so far; non-finite values pass through unsmoothed, and a
constant series is left as it is. A log axis cannot show values ≤ 0: they become NaN, which a
plot leaves out (a gap), and the CSV leaves their cell empty — the file holds what is drawn.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from psygnal import Signal

from studio.data.files import write_text
from studio.session.runs import compare_curves, shared_metrics
from studio.train.run import RECORD_FIELDS, RunDir

DEFAULT_SMOOTHING = 0.6  # TensorBoard's default
X_AXES = {"step": "training step", "time": "wall-clock seconds since the start",
          "cpu": "CPU seconds of the training process"}
#: matplotlib's / TensorBoard's ten category colours; run i gets COLOURS[i % 10].
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")


def smooth(values, weight: float) -> np.ndarray:
    """TensorBoard's debiased exponential moving average of ``values`` (see the module
    docstring); ``weight`` in [0, 1): 0 leaves the values as they are."""
    if not 0 <= weight < 1:
        raise ValueError(f"smoothing must be in [0, 1), got {weight}")
    values = np.asarray(values, dtype=np.float64)
    out = values.copy()
    finite = np.isfinite(values)
    if weight == 0 or len(values) == 0 or np.all(values == values[0]):
        return out
    last, n = 0.0, 0
    for i in np.flatnonzero(finite):
        last = last * weight + (1 - weight) * values[i]
        n += 1
        out[i] = last / (1 - weight ** n)
    return out


def log_safe(values) -> np.ndarray:
    """``values`` with what a log axis cannot show (≤ 0, ±inf) as NaN: left out, not an error."""
    values = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(values) & (values > 0), values, np.nan)


def colour_for(index: int) -> str:
    return COLOURS[index % len(COLOURS)]


@dataclass(frozen=True)
class Curve:
    name: str  # the legend's: the run's folder name (with its parent's when two share one)
    x: np.ndarray  # [n] steps (or seconds)
    raw: np.ndarray  # [n] the logged values
    smoothed: np.ndarray  # [n] smooth(raw, the plot's smoothing)
    colour: str = COLOURS[0]

    def drawn(self, log_y: bool = False, raw: bool = False) -> np.ndarray:
        """The y values a plot draws: smoothed (or ``raw``), NaN where a point is left out
        (not finite; ≤ 0 on a log axis)."""
        values = self.raw if raw else self.smoothed
        return log_safe(values) if log_y else np.where(np.isfinite(values), values, np.nan)


def curve_from(name: str, x, values, smoothing: float = DEFAULT_SMOOTHING, colour: str = COLOURS[0]) -> Curve:
    x, values = np.asarray(x, dtype=np.float64), np.asarray(values, dtype=np.float64)
    if x.shape != values.shape:
        raise ValueError(f"x and values differ in length: {len(x)} and {len(values)}")
    return Curve(name, x, values, smooth(values, smoothing), colour)


def csv_text(curves: list[Curve], metric: str, x: str = "step", log_y: bool = False) -> str:
    """Exactly what the plot draws, one row per point drawn: run, x, the raw value and the
    smoothed one (an empty cell where that line leaves the point out)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["run", x, metric, f"{metric} (smoothed)"])
    for curve in curves:
        raw, smoothed = curve.drawn(log_y, raw=True), curve.drawn(log_y)
        for xi, r, s in zip(curve.x, raw, smoothed):
            if math.isnan(r) and math.isnan(s):
                continue
            writer.writerow([curve.name, _number(xi), "" if math.isnan(r) else repr(float(r)),
                             "" if math.isnan(s) else repr(float(s))])
    return out.getvalue()


def write_csv(path: str | Path, curves: list[Curve], metric: str, x: str = "step", log_y: bool = False) -> Path:
    """``csv_text`` written atomically (an OutputError naming the file if it cannot be)."""
    return write_text(path, csv_text(curves, metric, x, log_y))


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def run_names(paths) -> list[str]:
    """Legend names: each run's folder name, with its parent folder's where two share a name."""
    paths = [Path(p) for p in paths]
    names = [p.name for p in paths]
    return [f"{p.parent.name}/{p.name}" if names.count(p.name) > 1 else p.name for p in paths]


class MetricPlot:
    """One plot: a metric of some runs, its smoothing, its y scale and its x axis."""

    #: what changed: "runs", "metric", "style" (smoothing, log scale, x axis), "data" (re-read)
    changed = Signal(str)

    def __init__(self, runs=(), metric: str | None = None, smoothing: float = DEFAULT_SMOOTHING,
                 log_y: bool = False, x: str = "step"):
        smooth([], smoothing)  # checks the value
        self._check_x(x)
        self.runs = [Path(p) for p in runs]
        self.smoothing, self.log_y, self.x = smoothing, log_y, x
        self._data: dict[Path, tuple[np.ndarray, np.ndarray]] = {}
        self.metric = metric if metric is not None else next(iter(self.metrics()), None)
        self.refresh(emit=False)

    # --- what can be plotted -----------------------------------------------------------------
    def metrics(self) -> list[str]:
        """Every metric any of the runs logged: those all of them logged first (shared_metrics),
        then the rest, in the order first seen."""
        shared = shared_metrics(self.runs) if self.runs else []
        rest = []
        for path in self.runs:
            for record in RunDir(path).metrics():
                rest += [k for k in record if k not in RECORD_FIELDS and k not in shared and k not in rest
                         and isinstance(record[k], (int, float))]
        return shared + rest

    # --- changes -----------------------------------------------------------------------------------
    def set_runs(self, runs) -> None:
        self.runs = [Path(p) for p in runs]
        if self.metric not in self.metrics():
            self.metric = next(iter(self.metrics()), None)
        self.refresh(emit=False)
        self.changed.emit("runs")

    def set_metric(self, metric: str) -> None:
        self.metric = metric
        self.refresh(emit=False)
        self.changed.emit("metric")

    def set_smoothing(self, weight: float) -> None:
        smooth([], weight)
        self.smoothing = weight
        self.changed.emit("style")

    def set_log_y(self, log_y: bool) -> None:
        self.log_y = bool(log_y)
        self.changed.emit("style")

    def set_x(self, x: str) -> None:
        self._check_x(x)
        self.x = x
        self.refresh(emit=False)
        self.changed.emit("style")

    def refresh(self, emit: bool = True) -> None:
        """Re-read the metric from every run's metrics.jsonl (a training may still write it)."""
        self._data = {}
        if self.metric is not None:
            for path in self.runs:
                (x, y), = compare_curves([path], self.metric, self.x).values()
                self._data[path] = (x, y)
        if emit:
            self.changed.emit("data")

    @staticmethod
    def _check_x(x: str) -> None:
        if x not in X_AXES:
            raise ValueError(f"unknown x axis {x!r}; choose one of {', '.join(X_AXES)}")

    # --- what is drawn -----------------------------------------------------------------------------
    def curves(self) -> list[Curve]:
        """One curve per run that logged the metric, in the runs' order, each in its colour."""
        names = run_names(self.runs)
        return [curve_from(name, *self._data[path], self.smoothing, colour_for(i))
                for i, (name, path) in enumerate(zip(names, self.runs))
                if path in self._data and len(self._data[path][0])]

    def hidden_points(self) -> int:
        """Points the log scale leaves out (≤ 0): a view says so rather than showing a gap unexplained."""
        if not self.log_y:
            return 0
        return sum(int((np.isfinite(c.raw) & (c.raw <= 0)).sum()) for c in self.curves())

    def csv_text(self) -> str:
        return csv_text(self.curves(), self.metric or "", self.x, self.log_y)

    def export_csv(self, path: str | Path) -> Path:
        return write_csv(path, self.curves(), self.metric or "", self.x, self.log_y)
