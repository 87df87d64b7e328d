"""VAE latent-space commands: latent (the lecture's grid), interpolate, reconstruct."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from studio.cli.args import MAX_INDEX, SCALE, SEED, add_checkpoint, image_output, int_range, positive_float, usage_error


def register(subparsers) -> None:
    latent = subparsers.add_parser(
        "latent", help="a VAE's decoded sprites over a grid of two code dimensions (PNG)",
        description="Vary two dimensions of a trained VAE's code over [-3, 3]² and decode each point; "
                    "the other dimensions stay fixed.")
    _run_arguments(latent)
    latent.add_argument("--dims", type=int_range(0, 4096), nargs=2, metavar=("I", "J"),
                        help="the two dimensions to vary (default: the two most informative)")
    latent.add_argument("--fix", default="zeros",
                        help="the other dimensions: zeros, random (see --seed) or index:I (sprite I's code)")
    latent.add_argument("--seed", type=SEED, default=0, help="seed of --fix random")
    latent.add_argument("--grid", type=int_range(2, 64), default=9, help="cells per side, 2..64 (default 9)")
    latent.add_argument("--extent", type=positive_float(max=100), default=3.0,
                        help="the grid spans [-extent, extent]²")
    latent.set_defaults(func=cmd_latent)

    walk = subparsers.add_parser("interpolate", help="decode a straight walk between two sprites' codes "
                                                     "(a PNG strip, or a GIF when -o ends in .gif)")
    _run_arguments(walk)
    walk.add_argument("--from", dest="start", type=int_range(0, MAX_INDEX), required=True, metavar="I",
                      help="first sprite's index")
    walk.add_argument("--to", dest="end", type=int_range(0, MAX_INDEX), required=True, metavar="J", help="last sprite's index")
    walk.add_argument("--steps", type=int_range(2, 1000), default=10, help="2..1000 (default 10)")
    walk.set_defaults(func=cmd_interpolate)

    rec = subparsers.add_parser("reconstruct", help="a sprite beside its VAE reconstruction (PNG)")
    _run_arguments(rec)
    rec.add_argument("--index", type=int_range(0, MAX_INDEX), nargs="+", required=True, metavar="I", help="sprite index(es)")
    rec.set_defaults(func=cmd_reconstruct)


def _run_arguments(parser) -> None:
    parser.add_argument("run_dir", help="a trained VAE run folder")
    parser.add_argument("-o", "--output", required=True, type=image_output())
    parser.add_argument("--scale", type=SCALE, default=4, help="pixels per sprite pixel (default 4)")
    add_checkpoint(parser, device=False)  # the explorer decodes on the CPU


def _explorer(args):
    from studio.session.explorers import open_vae

    try:
        return open_vae(args.run_dir, args.checkpoint)
    except ValueError as err:  # a run whose dataset changed
        raise usage_error(err) from None


def cmd_latent(args) -> int:
    from studio.data import grid_image
    from studio.data.files import save_image

    explorer = _explorer(args)
    try:  # the explorer checks dimensions and indices against the run: its ValueErrors are the user's
        dims = tuple(args.dims) if args.dims else tuple(explorer.informative_dims()[:2])
        base = explorer.base_code(args.fix, seed=args.seed)
        sprites = explorer.grid(dims, base, n=args.grid, extent=args.extent)
    except (ValueError, IndexError) as err:
        raise usage_error(err) from None
    save_image(grid_image(sprites, explorer.palette, columns=args.grid, scale=args.scale), args.output)
    print(f"wrote a {args.grid}×{args.grid} grid of dims {dims[0]} (→) and {dims[1]} (↑) "
          f"over [-{args.extent:g}, {args.extent:g}]², others fixed to {args.fix}, to {Path(args.output)}")
    return 0


def cmd_interpolate(args) -> int:
    from studio.data import grid_image
    from studio.data.files import save_image
    from studio.session.explorers import save_walk

    explorer = _explorer(args)
    try:
        if args.output.lower().endswith(".gif"):
            save_walk(explorer, args.output, args.start, args.end, args.steps, scale=args.scale)
        else:
            sprites = explorer.interpolate(args.start, args.end, args.steps)
            save_image(grid_image(sprites, explorer.palette, columns=len(sprites), scale=args.scale), args.output)
    except (ValueError, IndexError) as err:
        raise usage_error(err) from None
    print(f"wrote {args.steps} steps from sprite {args.start} to {args.end} to {Path(args.output)}")
    return 0


def cmd_reconstruct(args) -> int:
    from studio.data import grid_image
    from studio.data.files import save_image

    explorer = _explorer(args)
    try:
        rows = []  # one row per sprite: the original on the left, its reconstruction on the right
        for i in args.index:
            reconstruction = explorer.reconstruct(i)  # checks the index first
            rows += [explorer.sprites.indices[i], reconstruction]
    except (ValueError, IndexError) as err:
        raise usage_error(err) from None
    save_image(grid_image(np.stack(rows), explorer.palette, columns=2, scale=args.scale), args.output)
    print(f"wrote {len(args.index)} sprite(s) beside their reconstructions to {Path(args.output)}")
    return 0
