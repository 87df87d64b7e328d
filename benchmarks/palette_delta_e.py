"""How good is a palette re-derived by k-means, next to the course's own colormap.txt?

Frames the course's 40×40 images as the course did (centre 20×20 crop, transparency on white),
quantises them with (a) the course palette and (b) palettes re-derived by k-means (k=167, a few
seeds), and reports the mean per-pixel colour error ΔE*76 (CIELAB distance) against the framed,
unquantised RGB pixels.

    python -m benchmarks.palette_delta_e [COURSE_DIR] [--seeds 0 1 2] [-k 167]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from studio.data import find_course_data
from studio.data.course import COLORMAP_FILE, read_colormap
from studio.data.images import load_framed_rgb
from studio.data.kmeans import palette_by_kmeans
from studio.data.palette import Palette, rgb_to_lab


def delta_e(palette: Palette, rgb: np.ndarray) -> np.ndarray:
    """ΔE*76 of every pixel of ``rgb`` ``[n, 3]`` to its nearest colour in ``palette``."""
    quantised = palette.to_rgb(palette.nearest(rgb))
    return np.linalg.norm(rgb_to_lab(quantised) - rgb_to_lab(rgb), axis=-1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("course_dir", nargs="?", type=Path, default=find_course_data())
    parser.add_argument("-k", type=int, default=167)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    if args.course_dir is None:
        sys.exit("course data not found: pass its folder or set STUDIO_POKEMON_DIR")

    rgb, files = load_framed_rgb(args.course_dir / "images40", size=20, frame="center")
    pixels = rgb.reshape(-1, 3)
    creature = (pixels != 255).any(axis=1)  # not the white background
    print(f"{len(files)} images framed to 20×20 (centre crop), {len(pixels)} pixels, "
          f"{creature.mean():.1%} creature, {len(np.unique(pixels, axis=0))} distinct colours\n")

    rows = [("course colormap.txt", read_colormap(args.course_dir / COLORMAP_FILE), None)]
    for seed in args.seeds:
        start = time.perf_counter()
        palette = palette_by_kmeans(pixels, k=args.k, seed=seed)
        rows.append((f"k-means k={args.k} seed={seed}", palette, time.perf_counter() - start))

    print(f"{'palette':<26} {'colours':>7} {'ΔE all':>8} {'ΔE creature':>12} {'ΔE p95':>8} {'time':>7}")
    for name, palette, seconds in rows:
        error = delta_e(palette, pixels)
        took = f"{seconds:.2f}s" if seconds is not None else "-"
        print(f"{name:<26} {len(palette):>7} {error.mean():>8.3f} {error[creature].mean():>12.3f} "
              f"{np.percentile(error, 95):>8.3f} {took:>7}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
