#!/usr/bin/env python
"""Does the GAN's distance to real sprites fall as it trains? Train, then plot and tabulate.

    nice -n 10 python benchmarks/gan_distance.py --data /work/shared/data/pokemon \
        --epochs 30 --threads 1 --run /tmp/gan-distance-run -o /tmp/gan_distance.png

Trains the DCGAN with the engine (evaluation at every epoch end logs val/mmd and
val/diversity_ratio, see studio/models/gan_signals.py), prints a table of the signals
against steps, and draws them with pyqtgraph offscreen into a PNG (no matplotlib needed).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default="builtin")
    p.add_argument("--config", default="dcgan")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--device", default=None)
    p.add_argument("--threads", type=int, help="torch CPU threads (1 is fastest on a busy machine)")
    p.add_argument("--run", default="/tmp/gan-distance-run", help="run folder to write")
    p.add_argument("-o", "--output", default="/tmp/gan_distance.png", help="plot PNG to write")
    p.add_argument("--plot-only", action="store_true", help="no training: tabulate and plot --run as it is")
    args = p.parse_args(argv)
    import torch

    from studio.train.run import RunDir

    if args.threads:
        torch.set_num_threads(args.threads)

    if not args.plot_only:
        train(args)
    evals = [r for r in RunDir(args.run).metrics() if "val/mmd" in r]
    print(f"\n{'step':>6} {'epoch':>6} {'MMD²':>8} {'diversity':>10} {'real':>8} {'ratio':>6}")
    for r in evals:
        print(f"{r['step']:>6} {r['epoch']:>6.0f} {r['val/mmd']:>8.4f} {r['val/diversity']:>10.2f} "
              f"{r['val/diversity_real']:>8.2f} {r['val/diversity_ratio']:>6.2f}")
    plot(evals, args.output, f"DCGAN on {Path(args.data).name}")
    print(f"\nplot: {args.output}")
    return 0


def train(args) -> None:
    from studio.data import open_dataset
    from studio.train.config import resolve_config
    from studio.train.engine import Trainer, TrainSettings

    settings = TrainSettings(epochs=args.epochs, batch_size=args.batch_size, device=args.device,
                             sample_every=0, checkpoint_every=0, eval_every=1)
    trainer = Trainer("gan", resolve_config("gan", args.config), open_dataset(args.data), settings, args.run)
    print(f"training the GAN on {args.data} ({len(trainer.train_data)} train / {len(trainer.held_data)} "
          f"held-out sprites, {trainer.total_steps} steps on {trainer.device}) -> {args.run}", flush=True)
    trainer.run_training()


def plot(evals: list[dict], output: str, title: str) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import pyqtgraph as pg
    from pyqtgraph.exporters import ImageExporter
    from PySide6.QtWidgets import QApplication

    from studio.gui.gan_workspace import GAN_WARNINGS

    collapse_below = GAN_WARNINGS[0].below  # the GAN workspace's mode-collapse warning
    app = QApplication.instance() or QApplication([])
    pg.setConfigOptions(background="w", foreground="k", antialias=True)
    layout = pg.GraphicsLayoutWidget()
    layout.resize(800, 560)
    steps = [r["step"] for r in evals]
    top = layout.addPlot(title=f"{title}: MMD² to held-out sprites (lower is closer)")
    top.plot(steps, [r["val/mmd"] for r in evals], pen=pg.mkPen("#1f77b4", width=2), symbol="o", symbolSize=5)
    top.setLabel("left", "MMD²")
    top.getAxis("left").enableAutoSIPrefix(False)
    layout.nextRow()
    bottom = layout.addPlot(title="diversity of samples / diversity of real sprites "
                                  "(1 = as varied; dashed: the collapse warning)")
    bottom.plot(steps, [r["val/diversity_ratio"] for r in evals], pen=pg.mkPen("#2ca02c", width=2),
                symbol="o", symbolSize=5)
    bottom.addLine(y=collapse_below, pen=pg.mkPen("#d62728", style=pg.QtCore.Qt.PenStyle.DashLine))
    bottom.setLabel("left", "ratio")
    bottom.getAxis("left").enableAutoSIPrefix(False)
    bottom.setLabel("bottom", "training step")
    bottom.setXLink(top)
    layout.show()  # laid out at its size before the grab (offscreen: nothing appears)
    app.processEvents()
    ImageExporter(layout.scene()).export(output)
    layout.close()


if __name__ == "__main__":
    sys.exit(main())
