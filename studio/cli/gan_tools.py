"""GAN tools, headless: `studio walk` (a looping walk through a run's code space, as a GIF) and
`studio toygan` (the lecture's 1-D GAN demo, trained and drawn to a PNG)."""

from __future__ import annotations

from pathlib import Path

from studio.cli.args import MAX_FRAMES, SEED, add_checkpoint, image_output, int_range, positive_float, positive_int


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
    add_checkpoint(walk)
    walk.set_defaults(func=cmd_walk)

    toy = subparsers.add_parser("toygan", help="train the toy GAN (1-D or 2-D data) and draw data, G and D")
    toy.add_argument("-o", "--output", required=True, type=image_output(), help="PNG file to write")
    toy.add_argument("--steps", type=positive_int(max=200_000), default=2000)
    toy.add_argument("--data", "--mixture", dest="data", default="two gaussians",
                     help="1-D: two gaussians, three gaussians, uniform bump, skewed; 2-D: ring, grid, "
                          "two moons (default: two gaussians)")
    toy.add_argument("--loss", default=None, help="minimax, non-saturating (the default), least-squares "
                                                  "or wasserstein-gp")
    toy.add_argument("--lr-d", type=positive_float(max=1), help="D's learning rate (default 0.001)")
    toy.add_argument("--lr-g", type=positive_float(max=1), help="G's learning rate (default 0.001)")
    toy.add_argument("--width", type=positive_int(max=1024), help="hidden units per layer of both networks "
                                                                  "(default 32 in 1-D, 64 in 2-D)")
    toy.add_argument("--seed", type=SEED, default=0)
    toy.set_defaults(func=cmd_toygan)


def cmd_walk(args) -> int:
    from studio.session.explorers import walk_gif

    path = walk_gif(args.run_dir, args.output, args.steps, args.waypoints, args.seed, args.spherical, args.scale,
                    args.frame_ms, args.checkpoint, args.device)
    kind = "spherical" if args.spherical else "linear"
    print(f"wrote a {args.steps}-frame {kind} walk through {args.waypoints} codes to {path}")
    return 0


def cmd_toygan(args) -> int:
    import dataclasses

    from studio.cli.args import usage_error
    from studio.data.files import save_image
    from studio.session.toygan import SHAPES, ToyGan, default_config, mode_coverage

    changes = {k: v for k, v in (("loss", args.loss), ("lr_d", args.lr_d), ("lr_g", args.lr_g),
                                  ("hidden", args.width)) if v is not None}
    try:  # an unknown data set or loss: the message lists the known ones
        toy = ToyGan(args.data, args.seed, dataclasses.replace(default_config(args.data), **changes))
    except ValueError as err:
        raise usage_error(err) from None
    snapshot = toy.step(args.steps)
    title = f"toy GAN, {args.data}, {toy.config.loss}, step {snapshot.step}"
    if toy.dim == 1:
        save_image(draw_snapshot(snapshot, title), args.output)
        print(f"wrote {Path(args.output)}: after {snapshot.step} steps G's samples are "
              f"{snapshot.distance:.3f} from the data (1-D Wasserstein distance)")
        return 0
    save_image(draw_snapshot_2d(snapshot, title), args.output)
    coverage = ""
    if args.data in SHAPES and hasattr(SHAPES[args.data], "centres"):
        modes, near = mode_coverage(snapshot.fake, toy.data.centres, toy.data.spread)
        coverage = f"; {modes} of {len(toy.data.centres)} modes covered, {near:.0%} of G's points near a mode"
    print(f"wrote {Path(args.output)}: after {snapshot.step} steps G's points are {snapshot.distance:.3f} "
          f"from the data (sliced Wasserstein distance){coverage}")
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


def draw_snapshot_2d(snapshot, title: str, side: int = 520):
    """The 2-D toy GAN's picture with PIL: D's output as a heat map (green: real, purple: fake,
    white: cannot tell), the data's points in dark green and G's in purple."""
    import numpy as np
    from PIL import Image, ImageDraw

    from studio.session.toygan import D_MEANING

    heat = snapshot.discriminator
    if snapshot.loss == "wasserstein-gp":  # a critic has no fixed scale: its own range, centred
        spread = max(float(np.abs(heat - np.median(heat)).max()), 1e-6)
        level = 0.5 + 0.5 * (heat - np.median(heat)) / spread
    else:
        level = heat
    level = np.clip(level, 0, 1)[::-1]  # row 0 at the top: the largest y
    fake_colour, white, real_colour = np.array([118, 42, 131]), np.array([255, 255, 255]), np.array([27, 120, 55])
    t = np.abs(level - 0.5)[..., None] * 2 * 0.6  # pale: the points must stand out
    rgb = np.where(level[..., None] >= 0.5, white + (real_colour - white) * t, white + (fake_colour - white) * t)
    top = 40
    image = Image.new("RGB", (side + 20, side + top + 10), "white")
    image.paste(Image.fromarray(rgb.astype(np.uint8)).resize((side, side), Image.NEAREST), (10, top))
    draw = ImageDraw.Draw(image)
    lo, hi = snapshot.span

    def px(points):
        x = 10 + (points[:, 0] - lo) / (hi - lo) * side
        y = top + (hi - points[:, 1]) / (hi - lo) * side
        return zip(x, y)

    for points, colour in ((snapshot.real, (27, 120, 55)), (snapshot.fake, (118, 42, 131))):
        for x, y in px(points):
            draw.ellipse([x - 2, y - 2, x + 2, y + 2], fill=colour)
    draw.rectangle([10, top, 10 + side - 1, top + side - 1], outline="#999999")
    draw.text((10, 6), title, fill="black")
    draw.text((10, 21), f"green dots: data, purple: G's points; background: {D_MEANING[snapshot.loss]}",
              fill="black")
    return image
