"""GAN tools, headless: `studio walk` (a looping walk through a run's code space, as a GIF) and
`studio toygan` (the lecture's 1-D GAN demo, trained and drawn to a PNG)."""

from __future__ import annotations

from pathlib import Path

from studio.cli.args import MAX_FRAMES, SEED, image_output, int_range, positive_int


def register(subparsers) -> None:
    walk = subparsers.add_parser("walk", help="a looping walk through a GAN run's code space, as a GIF")
    walk.add_argument("run_dir")
    walk.add_argument("-o", "--output", required=True, type=image_output(".gif"), help="GIF file to write")
    walk.add_argument("--steps", type=positive_int(max=MAX_FRAMES), default=60,
                      help=f"frames in the loop, at most {MAX_FRAMES} (default 60)")
    walk.add_argument("--waypoints", type=int_range(2, 100), default=4,
                      help="random codes the loop passes, 2..100 (default 4)")
    walk.add_argument("--seed", type=SEED, default=0)
    walk.add_argument("--scale", type=positive_int(max=32), default=4, help="pixels per sprite pixel (default 4)")
    walk.add_argument("--frame-ms", type=int_range(10, 60_000), default=80,
                      help="milliseconds per frame (default 80)")
    walk.add_argument("--spherical", dest="spherical", action="store_true", default=True,
                      help="follow great circles between codes (slerp; the default)")
    walk.add_argument("--linear", dest="spherical", action="store_false",
                      help="straight lines between codes (lerp)")
    walk.add_argument("--checkpoint", default="best", help="best, last or a file in checkpoints/")
    walk.add_argument("--device")
    walk.set_defaults(func=cmd_walk)

    toy = subparsers.add_parser("toygan", help="train the 1-D toy GAN and draw data, G's density and D")
    toy.add_argument("-o", "--output", required=True, type=image_output(), help="PNG file to write")
    toy.add_argument("--steps", type=positive_int(max=200_000), default=2000)
    toy.add_argument("--mixture", default="two gaussians",
                     help="two gaussians, three gaussians, uniform bump or skewed (default: two gaussians)")
    toy.add_argument("--seed", type=SEED, default=0)
    toy.set_defaults(func=cmd_toygan)


def cmd_walk(args) -> int:
    from studio.errors import OutputError
    from studio.data.sprites import MAX_GRID_PIXELS
    from studio.data import save_gif
    from studio.models.gan_walk import walk_codes
    from studio.train.trained import TrainedRun

    run = TrainedRun.open(args.run_dir, args.checkpoint, args.device, model="gan")
    task, palette = run.task, run.palette
    h, w = task.size
    if args.steps * h * w * args.scale ** 2 > MAX_GRID_PIXELS:  # the GIF's frames, held in memory
        raise OutputError(f"{args.steps} frames of {w * args.scale}×{h * args.scale} pixels are more than "
                          f"the {MAX_GRID_PIXELS:,} allowed", args.output, hint="use fewer --steps or a smaller --scale")
    codes = walk_codes(args.waypoints, args.steps, args.seed, task.config.z_dim, args.spherical)
    path = save_gif(task.generate(codes), palette, args.output, args.scale, args.frame_ms)
    kind = "spherical" if args.spherical else "linear"
    print(f"wrote a {args.steps}-frame {kind} walk through {args.waypoints} codes to {path}")
    return 0


def cmd_toygan(args) -> int:
    from studio.models.toygan import ToyGan

    from studio.cli.args import usage_error
    from studio.data.files import save_image

    try:
        toy = ToyGan(args.mixture, args.seed)
    except ValueError as err:  # an unknown mixture: the message lists the known ones
        raise usage_error(err) from None
    snapshot = toy.step(args.steps)
    save_image(draw_snapshot(snapshot, f"toy GAN, {args.mixture}, step {snapshot.step}"), args.output)
    print(f"wrote {Path(args.output)}: after {snapshot.step} steps G's samples are "
          f"{snapshot.distance:.3f} from the data (1-D Wasserstein distance)")
    return 0


def draw_snapshot(snapshot, title: str, size: tuple[int, int] = (800, 520)):
    """The toy GAN's picture with PIL (no display needed): densities on top, D(x) below."""
    import numpy as np
    from PIL import Image, ImageDraw

    width, height = size
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    left, right = 50, width - 20
    x0, x1 = snapshot.grid[0], snapshot.grid[-1]

    def px(x):
        return left + (np.asarray(x) - x0) / (x1 - x0) * (right - left)

    def panel(top, bottom, y_max):
        draw.rectangle([left, top, right, bottom], outline="#999999")
        return lambda y: bottom - np.asarray(y) / y_max * (bottom - top)

    draw.text((left, 8), title, fill="black")
    # Densities: the data histogram as grey bars, G's density as a blue line.
    y_max = 1.1 * max(snapshot.data_density.max(), snapshot.generator_density.max(), 1e-6)
    py = panel(30, 330, y_max)
    for lo, hi, d in zip(snapshot.bin_edges[:-1], snapshot.bin_edges[1:], snapshot.data_density):
        draw.rectangle([px(lo), py(d), px(hi), py(0)], fill="#c8c8c8")
    draw.line(list(zip(px(snapshot.grid), py(snapshot.generator_density))), fill="#1f77b4", width=3)
    draw.text((left + 8, 36), "grey: real data   blue: generator's density", fill="black")
    # D(x) in [0, 1], with the 1/2 line where D cannot tell real from fake.
    py = panel(360, height - 30, 1.0)
    draw.line([(left, py(0.5)), (right, py(0.5))], fill="#bbbbbb")
    draw.line(list(zip(px(snapshot.grid), py(snapshot.discriminator))), fill="#d62728", width=3)
    draw.text((left + 8, 366), "red: D(x), the probability that x is real (line at 1/2)", fill="black")
    for tick in range(int(np.ceil(x0)), int(np.floor(x1)) + 1):
        draw.text((px(tick) - 3, height - 25), str(tick), fill="black")
    return image
