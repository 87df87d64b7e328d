"""Live metric plots for the training monitor: numpy buffers in, pyqtgraph curves out.

Records are appended as they arrive (O(1) amortised, no drawing); ``LivePlots.redraw()`` is
called from a QTimer at ~25 Hz and pushes only what changed, so a run that logs hundreds of
records a second costs the GUI thread one setData per curve per frame.

``set_style(smoothing, log_y)`` applies TensorBoard's smoothing (studio.session.plots: the
per-step keys smoothed, their raw values faint beneath; held-out points are few and stay raw)
and a log scale to every plot; ``export_curves`` gives the drawn points for a CSV.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel

from studio.session.monitor import MetricHistory, format_seconds
from studio.session.plots import Curve, curve_from

#: Legend text for common metric keys; a PlotSpec's ``labels`` override these.
LABELS = {"d_loss": "D loss", "g_loss": "G loss", "d_real": "D(x)", "d_fake": "D(G(z))",
          "d_grad_norm": "‖∇D‖", "g_grad_norm": "‖∇G‖", "loss": "loss",
          "bits_per_pixel": "bits/pixel", "recon": "reconstruction", "kl": "KL", "elbo": "ELBO",
          "diversity_ratio": "diversity ratio", "mmd": "MMD",
          "c2st": "C2ST accuracy (a trend)", "copy_rate": "copy rate",
          "bits_per_pixel_after_60pct": "bits/pixel of the last 40 % given the first 60 % (HW4)",
          "elbo_bits_per_pixel": "−ELBO bits/pixel", "recon_bits_per_pixel": "reconstruction bits/pixel",
          "kl_bits_per_pixel": "KL bits/pixel", "precision": "precision", "recall": "recall"}
COLORS = ("#2f7ed8", "#f28e2b", "#3a9e4f", "#e15759", "#9c6ade", "#17a2b8", "#c9a227")
RAW_ALPHA = 70  # the raw values under a smoothed line: faint, as in TensorBoard


class StepAxis(pg.AxisItem):
    """An x axis of training steps: whole numbers only, so a plot with one point (a first
    evaluation) shows "100", not "99.6 99.8 100 100.2"."""

    def tickValues(self, minVal, maxVal, size):
        return [(spacing, [v for v in values if float(v).is_integer()])
                for spacing, values in super().tickValues(minVal, maxVal, size) if spacing >= 1]


@dataclass
class PlotSpec:
    """One live plot: ``keys`` (metric names, "val/..." allowed) against the step."""

    title: str
    keys: list[str]
    log_y: bool = False
    labels: dict[str, str] = field(default_factory=dict)

    def label(self, key: str) -> str:
        """The legend text: the spec's own label as given, else the common one, with
        "(held out)" for a "val/..." key."""
        if key in self.labels:
            return self.labels[key]
        name = LABELS.get(key.removeprefix("val/"), key.removeprefix("val/"))
        return f"{name} (held out)" if key.startswith("val/") else name


#: The yardstick every model's run logs (studio/models/scores.py, TrainSettings.score_every):
#: every TrainingPanel draws these after its workspace's own plots.
YARDSTICK_PLOTS = [
    # Cheap (128 samples, a short classifier): a trend to watch; `studio score` gives the figure.
    PlotSpec("Classifier two-sample test on samples, a quick trend (0.5 = indistinguishable from real)",
             keys=["val/c2st"]),
    PlotSpec("Samples: precision, recall, copy rate", keys=["val/precision", "val/recall", "val/copy_rate"]),
]


class LivePlots(pg.GraphicsLayoutWidget):
    """One plot per PlotSpec against the step; ``curves[key]`` is each key's curve."""

    def __init__(self, specs: list[PlotSpec], parent=None):
        super().__init__(parent)
        self.setBackground("w")
        self.specs = specs
        self.items: list[pg.PlotItem] = []
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.raw_curves: dict[str, pg.PlotDataItem] = {}  # the faint raw values under a smoothed line
        self.smoothing, self.log_y = 0.0, False
        # Up to three plots stack; more go two per row (a last odd one spans the row).
        columns = 1 if len(specs) <= 3 else 2
        for col in range(columns):
            self.ci.layout.setColumnStretchFactor(col, 1)
        for i, spec in enumerate(specs):
            row, col = divmod(i, columns)
            span = columns if i == len(specs) - 1 and col == 0 else 1
            item = self.addPlot(row=row, col=col, colspan=span, axisItems={"bottom": StepAxis("bottom")})
            # Side by side, long titles wrap: a title's width would otherwise widen its column.
            title = "<br>".join(textwrap.wrap(spec.title, 32)) if columns > 1 and span == 1 else spec.title
            # The legend is a line of coloured keys under the title, not a box over the plot:
            # it never covers data and is never cut off by a narrow plot.
            keys = [f"<span style='color:{COLORS[j % len(COLORS)]}'>{'┅' if k.startswith('val/') else '━'}"
                    f"</span>&nbsp;{spec.label(k)}" for j, k in enumerate(spec.keys)]
            per_line = 2 if columns > 1 else 4
            legend = "<br>".join("&nbsp;&nbsp; ".join(keys[i:i + per_line]) for i in range(0, len(keys), per_line))
            item.setTitle(f"<b>{title}</b><br><span style='font-size:8pt'>{legend}</span>",
                          color="#333", size="10pt")
            item.titleLabel.setMinimumWidth(0)
            item.setPreferredWidth(100)  # let the column stretch, not the title, set the width
            item.showGrid(x=True, y=True, alpha=0.2)
            item.setLogMode(y=spec.log_y)
            item.setClipToView(True)
            item.setDownsampling(auto=True, mode="peak")
            for axis in ("left", "bottom"):
                item.getAxis(axis).setTextPen("#555")
                item.getAxis(axis).setPen("#999")
            if i >= len(specs) - columns:
                item.setLabel("bottom", "step", color="#555")
            # No x-link between plots: a linked range change repaints every plot at once, the
            # very stall the one-plot-per-frame redraw avoids. All share the step axis anyway.
            for j, key in enumerate(spec.keys):
                color = COLORS[j % len(COLORS)]
                if key.startswith("val/"):  # a point per epoch-end evaluation
                    pen = pg.mkPen(color, width=1.5, style=Qt.PenStyle.DashLine)
                    curve = item.plot(name=spec.label(key), pen=pen, symbol="o", symbolSize=6,
                                      symbolBrush=color, symbolPen=None)
                else:
                    faint = pg.mkColor(color)
                    faint.setAlpha(RAW_ALPHA)
                    self.raw_curves[key] = item.plot(pen=pg.mkPen(faint, width=1))
                    curve = item.plot(name=spec.label(key), pen=pg.mkPen(color, width=1.5))
                self.curves[key] = curve
            self.items.append(item)
        self._drawn = [-1] * len(self.items)  # the history version each plot shows
        self._next = 0

    def redraw(self, history: MetricHistory) -> bool:
        """Push new points to the next stale plot only; True while others are still stale.

        Repainting a plot whose range grew re-lays its axes in Python (tens of ms on a busy
        CPU); one plot per frame keeps each frame short, so the event loop never stalls long.
        """
        stale = [i for i in range(len(self.items)) if self._drawn[i] != history.version]
        if not stale:
            return False
        i = next((j for j in stale if j >= self._next), stale[0])
        for key in self.specs[i].keys:
            x, y = history.series(key)
            if not len(x):
                continue
            curve, log_y = self._curve(key, x, y), self.specs[i].log_y or self.log_y
            self.curves[key].setData(x, curve.drawn(log_y), connect="finite")
            if key in self.raw_curves:
                shown = self.smoothing > 0
                self.raw_curves[key].setData(x if shown else [], curve.drawn(log_y, raw=True) if shown else [],
                                             connect="finite")
        self._drawn[i] = history.version
        self._next = (i + 1) % len(self.items)
        return len(stale) > 1

    def _curve(self, key: str, x, y) -> Curve:
        """The key's series as drawn: smoothed unless it is a held-out key (a few points)."""
        return curve_from(key, x, y, 0.0 if key.startswith("val/") else self.smoothing)

    def set_style(self, smoothing: float, log_y: bool) -> None:
        """Smoothing and a log scale for every plot; each is redrawn by the next ``redraw`` calls."""
        self.smoothing, self.log_y = smoothing, log_y
        for spec, item in zip(self.specs, self.items):
            item.setLogMode(y=spec.log_y or log_y)
        self._drawn = [-1] * len(self.items)

    def export_curves(self, history: MetricHistory) -> list[Curve]:
        """Every plotted key's points as drawn (named by its legend text), for write_csv."""
        curves = []
        for spec in self.specs:
            for key in spec.keys:
                x, y = history.series(key)
                if len(x):
                    curve = self._curve(key, x, y)
                    curves.append(Curve(f"{spec.title}: {spec.label(key)}", curve.x, curve.raw, curve.smoothed,
                                        curve.colour))
        return curves

    def clear_curves(self) -> None:
        """Empty every plot for another run, the axes' ranges too (they follow its data again)."""
        for curve in [*self.curves.values(), *self.raw_curves.values()]:
            curve.setData([], [])
        for item in self.items:
            item.enableAutoRange()
        self._drawn = [-1] * len(self.items)


class LatestValues(QGroupBox):
    """The latest value of every plotted key, with the step, epoch and training time."""

    def __init__(self, specs: list[PlotSpec], parent=None):
        super().__init__("Latest", parent)
        form = QFormLayout(self)
        form.setHorizontalSpacing(16)
        form.setVerticalSpacing(2)
        self.rows: dict[str, QLabel] = {}
        for key, title in [("step", "step"), ("epoch", "epoch"), ("time", "training time")] + \
                [(k, s.label(k)) for s in specs for k in s.keys]:
            if key not in self.rows:
                self.rows[key] = QLabel("—")
                self.rows[key].setMinimumWidth(90)  # new values never re-lay the window out
                self.rows[key].setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                form.addRow(title, self.rows[key])

    def update_from(self, history: MetricHistory) -> None:
        record = history.last_record
        if "step" in record:
            self.rows["step"].setText(f"{record['step']:,}")
        if "epoch" in record:
            self.rows["epoch"].setText(f"{record['epoch']:.2f}")
        if "time" in record:
            self.rows["time"].setText(format_seconds(record["time"]))
        for key, value in history.latest.items():
            if key in self.rows:
                self.rows[key].setText(f"{value:.4g}")

    def clear(self) -> None:
        for label in self.rows.values():
            label.setText("—")
