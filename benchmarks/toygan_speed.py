#!/usr/bin/env python
"""How many frames a second the toy GAN gives a view on one CPU core: a frame is a training step
(or a few: steps per frame) and the snapshot a view redraws from (1-D: G's density and D's curve;
2-D: G's points from fixed z and D's heat map). Also the 2-D ring test's mode coverage over seeds.

    OMP_NUM_THREADS=1 nice -n 5 python -m benchmarks.toygan_speed
    OMP_NUM_THREADS=1 nice -n 5 python -m benchmarks.toygan_speed --ring-seeds 10 --ring-steps 3000
    OMP_NUM_THREADS=1 QT_QPA_PLATFORM=offscreen nice -n 5 python -m benchmarks.toygan_speed --gui

``--gui`` times what the Toy GAN view does for a frame: the steps, the snapshot, and drawing it
(the 1-D curves, or the 2-D heat map, both point clouds and the arrows) into an 1100×600 window,
rendered to a pixmap as a repaint would.

Frames per second are counted in CPU time of this process (time.process_time, one thread), so a
busy shared machine does not lower them; the wall-clock rate is printed beside. The goal is
≥ 30 frames/s at one step per frame (GAN Lab's smoothness).
"""

from __future__ import annotations

import argparse
import time



def frames_per_second(data: str, loss: str, steps_per_frame: int, frames: int) -> tuple[float, float]:
    from studio.models.toygan import ToyGan, default_config

    import dataclasses

    toy = ToyGan(data, seed=0, config=dataclasses.replace(default_config(data), loss=loss))
    toy.step(steps_per_frame)  # warm up (first calls allocate)
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(frames):
        toy.step(steps_per_frame)
    return frames / (time.process_time() - cpu), frames / (time.perf_counter() - wall)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--frames", type=int, default=150, help="frames timed per row (default 150)")
    p.add_argument("--ring-seeds", type=int, default=0, help="also train the ring on this many seeds")
    p.add_argument("--ring-steps", type=int, default=2000)
    p.add_argument("--gui", action="store_true", help="time the Toy GAN view's frames instead (drawing included)")
    args = p.parse_args(argv)
    import torch

    if args.gui:
        torch.set_num_threads(1)
        return gui_table(args.frames)

    from studio.models.toygan import LOSSES

    torch.set_num_threads(1)
    print(f"{'data':<16} {'loss':<15} {'steps/frame':>11} {'frames/s (CPU)':>15} {'frames/s (wall)':>16}")
    for data in ("two gaussians", "ring", "two moons"):
        for loss in LOSSES:
            for steps in (1, 5):
                cpu, wall = frames_per_second(data, loss, steps, args.frames)
                print(f"{data:<16} {loss:<15} {steps:>11} {cpu:>15.1f} {wall:>16.1f}", flush=True)
    if args.ring_seeds:
        ring_table(args.ring_seeds, args.ring_steps)
    return 0


def gui_table(frames: int) -> int:
    """Frames a second of the Toy GAN view on one core: train, snapshot, draw, render."""
    from PySide6.QtWidgets import QApplication

    from studio.gui.context import StudioContext
    from studio.gui.toygan_workspace import ToyGanWorkspace
    from studio.models.toygan import LOSSES

    app = QApplication.instance() or QApplication([])
    ws = ToyGanWorkspace(StudioContext())
    ws.resize(1100, 600)
    ws.show()
    app.processEvents()
    print(f"{'data':<16} {'loss':<15} {'steps/frame':>11} {'arrows':>6} {'frames/s (CPU)':>15} {'frames/s (wall)':>16}")
    for data in ("two gaussians", "ring", "two moons"):
        for loss in LOSSES:
            for steps, arrows in ((1, False), (2, True)):
                ws.mixture_box.setCurrentText(data)
                ws.loss_box.setCurrentText(loss)
                ws.arrows_check.setChecked(arrows)
                ws.reset()
                view = ws.views.currentWidget()

                def frame():
                    ws._show(ws.toy.step(steps, ws.which()))
                    view.grab()  # render it, as the next repaint would

                frame()  # warm up
                cpu, wall = time.process_time(), time.perf_counter()
                for _ in range(frames):
                    frame()
                cpu_rate = frames / (time.process_time() - cpu)
                wall_rate = frames / (time.perf_counter() - wall)
                print(f"{data:<16} {loss:<15} {steps:>11} {'yes' if arrows else 'no':>6} {cpu_rate:>15.1f} "
                      f"{wall_rate:>16.1f}", flush=True)
    return 0


def ring_table(seeds: int, steps: int) -> None:
    """The ring test over seeds: modes covered and the share of G's points near a mode."""
    from studio.models.toygan import SHAPES, ToyGan, mode_coverage

    ring = SHAPES["ring"]
    print(f"\nring of 8 Gaussians, non-saturating loss, {steps} steps: modes covered / share near a mode")
    for seed in range(seeds):
        toy = ToyGan("ring", seed=seed)
        toy.train(steps)
        modes, near = mode_coverage(toy.generate(), ring.centres, ring.spread)
        print(f"seed {seed:>2}: {modes}/8 modes, {near:.2f} near a mode", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
