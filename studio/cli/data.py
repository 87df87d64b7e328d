"""`studio data info | preview | palette`: look at a dataset, or derive a palette, without the app."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from studio.cli.args import MAX_SPRITES, SCALE, SEED, image_output, int_range, positive_int
from studio.data import grid_image, open_dataset
from studio.data.course import write_colormap
from studio.data.files import save_image
from studio.data.images import FRAMES, MAX_SPRITE_SIZE, load_framed_rgb
from studio.data.kmeans import palette_by_kmeans

PATH_HELP = "the course data (folder or pixel_color.txt), a folder of images, or 'builtin'"
TOP_COLOURS = 5


def register(subparsers) -> None:
    data = subparsers.add_parser("data", help="inspect datasets and derive palettes")
    commands = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)

    info = commands.add_parser("info", help="sprite count, size, palette, split and colour usage")
    info.add_argument("path", help=PATH_HELP)
    _add_image_options(info)
    info.set_defaults(func=run_info)

    preview = commands.add_parser("preview", help="save a grid of sprites as a PNG")
    preview.add_argument("path", help=PATH_HELP)
    preview.add_argument("-o", "--output", required=True, type=image_output(), help="the PNG to write")
    preview.add_argument("--scale", type=SCALE, default=4, help="pixels per sprite pixel (4)")
    preview.add_argument("--count", type=positive_int(max=MAX_SPRITES), default=64,
                         help="how many sprites, from the first (64)")
    _add_image_options(preview)
    preview.set_defaults(func=run_preview)

    palette = commands.add_parser("palette", help="derive a palette from images by k-means (colormap.txt format)")
    palette.add_argument("image_dir", type=Path, help="a folder of images")
    palette.add_argument("-k", type=int_range(1, 256), default=167,
                         help="number of colours, 1..256 (167): sprites store uint8 indices")
    palette.add_argument("-o", "--output", required=True, type=Path, help="the colormap.txt to write")
    palette.add_argument("--seed", type=SEED, default=0, help="k-means seed (0)")
    _add_image_options(palette)
    palette.set_defaults(func=run_palette)


def run_info(args) -> int:
    sprites = open_dataset(args.path, size=args.size, frame=args.frame)
    train, held_out = sprites.split()
    usage = sprites.color_usage() / sprites.indices.size
    print(f"{sprites.source}: {len(sprites)} sprites, {sprites.height}×{sprites.width}, "
          f"{sprites.num_colors} colours")
    print(f"split: {len(train)} train, {len(held_out)} held out")
    print(f"background (index 0, {_hex(sprites.palette.colors[0])}): {usage[0]:.1%} of pixels")
    top = [i for i in np.argsort(-usage, kind="stable") if i != 0][:TOP_COLOURS]
    print("top colours: " + ", ".join(f"{i} {_hex(sprites.palette.colors[i])} {usage[i]:.1%}" for i in top))
    print(f"colours used: {int((usage > 0).sum())} of {sprites.num_colors}")
    return 0


def run_preview(args) -> int:
    sprites = open_dataset(args.path, size=args.size, frame=args.frame)
    shown = sprites.indices[: args.count]
    image = grid_image(shown, sprites.palette, scale=args.scale)
    save_image(image, args.output)
    print(f"wrote {args.output}: {min(args.count, len(sprites))} sprites, {image.width}×{image.height} pixels")
    return 0


def run_palette(args) -> int:
    rgb, files = load_framed_rgb(args.image_dir, size=args.size, frame=args.frame)
    palette = palette_by_kmeans(rgb.reshape(-1, 3), k=args.k, seed=args.seed)
    write_colormap(palette, args.output)
    print(f"wrote {args.output}: {len(palette)} colours from {len(files)} images")
    return 0


def _add_image_options(parser) -> None:
    group = parser.add_argument_group("image folders")
    group.add_argument("--size", type=positive_int(max=MAX_SPRITE_SIZE), default=20,
                       help="sprite side in pixels (default 20)")
    group.add_argument("--frame", choices=list(FRAMES), default="center",
                       help="; ".join(f"{name}: {what}" for name, what in FRAMES.items()))


def _hex(rgb) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(int(v) for v in rgb))
