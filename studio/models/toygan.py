"""The lecture's GAN toy example, as rich as GAN Lab: watch G's samples chase the data while D
tells them apart, in 1-D or 2-D, with the loss, the learning rates and the width to play with.

Real data x ~ p_data, a distribution the user picks: a 1-D mixture (MIXTURES), a 2-D shape
(SHAPES: a ring or a grid of Gaussians, two moons) or points the user drew (:class:`Drawn`).
The generator G maps noise z ~ N(0, I) to a point; the discriminator D maps a point to a score
s = D(x). The game (Goodfellow et al. 2014), with σ the logistic function:

    min_G max_D  E_x[log σ(D(x))] + E_z[log(1 - σ(D(G(z))))]

For a fixed G the best D has σ(D*(x)) = p_data(x) / (p_data(x) + p_G(x)): D is high where data
outweighs G's samples and says 1/2 where the two densities meet, and G moves its mass up D's
slope. LOSSES are the four ways of playing it GAN Lab offers (each equation in ``d_loss`` and
``g_loss``). Small MLPs: a step and a redraw take a few milliseconds on one CPU core
(benchmarks/toygan_speed.py).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

LOSSES = {
    "minimax": "the original game: G minimises log(1 − D(G(z))), which is flat when D wins",
    "non-saturating": "G maximises log D(G(z)) instead: the same fixed point, strong gradients early",
    "least-squares": "LSGAN: D regresses real → 1, fake → 0, G pulls its score to 1 (Mao et al. 2017)",
    "wasserstein-gp": "WGAN-GP: D is a critic (no sigmoid), kept 1-Lipschitz by a gradient penalty "
                      "(Gulrajani et al. 2017)",
}
#: What a view writes beside D's plot, per loss: what the number it shows means.
D_MEANING = {"minimax": "D(x): the probability that x is real", "non-saturating": "D(x): the probability that x is real",
             "least-squares": "D(x): the score, 1 = real, 0 = fake",
             "wasserstein-gp": "D(x): the critic's score, higher = more real (no fixed scale)"}
#: D updates per G update where a loss needs more than one: a critic must be near its optimum for
#: its slope to be the Wasserstein distance's (Gulrajani et al.'s n_critic = 5). With one, G chases
#: a half-trained critic off the data: on the ring, sliced distance 1.1–1.4 after 2000 steps against
#: 0.14 with five (docs/learning.md).
CRITIC_STEPS = {"wasserstein-gp": 5}
WHICH = ("both", "d", "g")  # what a training step updates: D then G, D only, G only


# --- the data ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Mixture:
    """A 1-D mixture of Gaussians and uniform bumps: components (kind, centre, spread, weight)."""

    components: tuple[tuple[str, float, float, float], ...]
    span: tuple[float, float]  # the x range the plots show
    dim = 1

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        weights = np.array([c[3] for c in self.components])
        which = rng.choice(len(self.components), size=n, p=weights / weights.sum())
        out = np.empty(n)
        for k, (kind, centre, spread, _) in enumerate(self.components):
            m = which == k
            if kind == "gauss":
                out[m] = rng.normal(centre, spread, m.sum())
            else:  # "uniform": centre ± spread
                out[m] = rng.uniform(centre - spread, centre + spread, m.sum())
        return out


@dataclass(frozen=True)
class Gaussians2D:
    """Equal-weight round 2-D Gaussians at ``centres``, each of standard deviation ``spread``."""

    centres: tuple[tuple[float, float], ...]
    spread: float
    span: tuple[float, float]  # the square [lo, hi]² the plots show
    dim = 2

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        centres = np.asarray(self.centres)
        return centres[rng.integers(len(centres), size=n)] + rng.normal(0, self.spread, (n, 2))


@dataclass(frozen=True)
class TwoMoons:
    """Two interleaved half circles (scikit-learn's make_moons), centred and doubled in size."""

    noise: float = 0.1
    span: tuple[float, float] = (-3.5, 3.5)
    dim = 2

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        t = rng.uniform(0, np.pi, n)
        lower = rng.random(n) < 0.5
        x = np.where(lower, 1 - np.cos(t), np.cos(t))
        y = np.where(lower, 0.5 - np.sin(t), np.sin(t))
        points = np.stack([x - 0.5, y - 0.25], 1) * 2
        return points + rng.normal(0, self.noise * 2, (n, 2))


#: Where the user draws, before there are points: the plots' window for drawn data.
DRAW_SPAN = (-3.0, 3.0)


@dataclass(frozen=True)
class Drawn:
    """A distribution the user drew: their points, each blurred by a small Gaussian (a kernel
    density estimate), so that G has a density to match rather than a few exact points.
    ``points``: [m] for 1-D or [m, 2] for 2-D; ``spread``: the blur, default 3 % of DRAW_SPAN."""

    points: tuple
    spread: float = 0.03 * (DRAW_SPAN[1] - DRAW_SPAN[0])

    def __post_init__(self):
        points = np.asarray(self.points, dtype=np.float64)
        if points.ndim == 1:
            points = points[:, None]
        if points.ndim != 2 or points.shape[1] not in (1, 2) or not np.isfinite(points).all():
            raise ValueError(f"drawn points are a list of numbers (1-D) or of (x, y) pairs (2-D), "
                             f"got an array of shape {points.shape}")
        if len(points) < 2:
            raise ValueError(f"draw at least 2 points, got {len(points)}")
        if not self.spread > 0:
            raise ValueError(f"the blur of drawn points must be positive, got {self.spread}")
        object.__setattr__(self, "points", tuple(map(tuple, points)))

    @property
    def dim(self) -> int:
        return len(self.points[0])

    @property
    def span(self) -> tuple[float, float]:
        """DRAW_SPAN, widened to hold every point with a margin."""
        points = np.asarray(self.points)
        return (min(DRAW_SPAN[0], float(points.min()) - 3 * self.spread),
                max(DRAW_SPAN[1], float(points.max()) + 3 * self.spread))

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        points = np.asarray(self.points)
        out = points[rng.integers(len(points), size=n)] + rng.normal(0, self.spread, (n, self.dim))
        return out[:, 0] if self.dim == 1 else out


def _ring(modes: int = 8, radius: float = 2.0, spread: float = 0.05) -> Gaussians2D:
    angles = 2 * np.pi * np.arange(modes) / modes
    return Gaussians2D(tuple((radius * np.cos(a), radius * np.sin(a)) for a in angles), spread, (-3.0, 3.0))


def _grid(side: int = 5, spacing: float = 1.0, spread: float = 0.05) -> Gaussians2D:
    ticks = spacing * (np.arange(side) - (side - 1) / 2)
    return Gaussians2D(tuple((x, y) for y in ticks for x in ticks), spread,
                       (float(ticks[0] - spacing), float(ticks[-1] + spacing)))


MIXTURES = {  # 1-D
    "two gaussians": Mixture((("gauss", -2.0, 0.5, 1), ("gauss", 2.0, 0.5, 1)), (-5, 5)),
    "three gaussians": Mixture((("gauss", -3.0, 0.4, 1), ("gauss", 0.0, 0.4, 1), ("gauss", 3.0, 0.4, 1)), (-5, 5)),
    "uniform bump": Mixture((("uniform", 1.0, 1.5, 1),), (-5, 5)),
    "skewed": Mixture((("gauss", -1.5, 0.4, 3), ("gauss", 0.0, 0.8, 2), ("gauss", 2.0, 1.2, 1)), (-5, 6)),
}
SHAPES = {  # 2-D
    "ring": _ring(),  # 8 Gaussians on a circle of radius 2, the unrolled-GAN paper's test (Metz et al. 2017)
    "grid": _grid(),  # 5×5 Gaussians a unit apart
    "two moons": TwoMoons(),
}


def distribution(data):
    """A data name (MIXTURES, SHAPES) or a distribution object (e.g. :class:`Drawn`) → the object."""
    if isinstance(data, str):
        if data in MIXTURES:
            return MIXTURES[data]
        if data in SHAPES:
            return SHAPES[data]
        raise ValueError(f"unknown data {data!r}; choose one of {', '.join([*MIXTURES, *SHAPES])}")
    if not all(hasattr(data, a) for a in ("sample", "dim", "span")):
        raise TypeError(f"{type(data).__name__} is not a distribution (it needs sample, dim and span)")
    return data


# --- the networks and the losses -----------------------------------------------------------------
@dataclass(frozen=True)
class ToyConfig:
    z_dim: int = 4
    hidden: int = 32  # the width of both networks' two hidden layers
    batch_size: int = 256
    lr_d: float = 1e-3
    lr_g: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.999)
    loss: str = "non-saturating"  # one of LOSSES
    d_steps: int | None = None  # D updates per G update in a "both" step; None: the loss's own (CRITIC_STEPS)
    gp_weight: float = 10.0  # λ of the gradient penalty (wasserstein-gp only)
    grid_points: int = 200  # 1-D: where D's curve and G's density are drawn
    bins: int = 60  # 1-D: of the data histogram
    heat_points: int = 64  # 2-D: D is drawn on a heat_points × heat_points grid
    shown: int = 512  # 2-D: real points and G's points (from fixed z) drawn

    def __post_init__(self):
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; choose one of {', '.join(LOSSES)}")
        for name in ("z_dim", "hidden", "batch_size", "d_steps", "grid_points", "bins", "heat_points", "shown"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("lr_d", "lr_g"):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in (0, 1], got {getattr(self, name)}")

    @property
    def critic_steps(self) -> int:
        """D updates per G update: ``d_steps``, else the loss's own."""
        return self.d_steps if self.d_steps is not None else CRITIC_STEPS.get(self.loss, 1)


#: 2-D data's networks: 2-D noise, so G's mapping is a warped plane a view can draw (GAN Lab's; on
#: the ring it also covered more modes than 4-D noise), and room for the grid's 25 modes (docs/learning.md).
PLANE_CONFIG = ToyConfig(z_dim=2, hidden=64)


def default_config(data) -> ToyConfig:
    """ToyConfig() for 1-D data, PLANE_CONFIG for 2-D."""
    return ToyConfig() if distribution(data).dim == 1 else PLANE_CONFIG


#: The knobs that can change while the networks train (``ToyGan.tune``); the rest build new networks.
LIVE_FIELDS = ("lr_d", "lr_g", "loss", "d_steps", "gp_weight", "batch_size")


def mlp(inputs: int, hidden: int, outputs: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(inputs, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden),
                         nn.LeakyReLU(0.2), nn.Linear(hidden, outputs))


def d_loss(loss: str, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """D's loss from its raw scores s on a real and a fake batch (the penalty of wasserstein-gp
    is added by the caller: it needs D itself). softplus(−s) = −log σ(s)."""
    if loss in ("minimax", "non-saturating"):  # −[log σ(s_real) + log(1 − σ(s_fake))]
        return F.softplus(-real).mean() + F.softplus(fake).mean()
    if loss == "least-squares":  # ½(s_real − 1)² + ½ s_fake²
        return 0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake ** 2).mean()
    if loss == "wasserstein-gp":  # the critic widens the gap E[s_real] − E[s_fake]
        return fake.mean() - real.mean()
    raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")


def g_loss(loss: str, fake: torch.Tensor) -> torch.Tensor:
    """G's loss from D's raw scores on G's batch."""
    if loss == "minimax":  # log(1 − σ(s)) = −softplus(s): G descends what D ascends
        return -F.softplus(fake).mean()
    if loss == "non-saturating":  # −log σ(s)
        return F.softplus(-fake).mean()
    if loss == "least-squares":  # ½(s − 1)²
        return 0.5 * ((fake - 1) ** 2).mean()
    if loss == "wasserstein-gp":  # −E[s_fake]
        return -fake.mean()
    raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")


def gradient_penalty(d: nn.Module, real: torch.Tensor, fake: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """WGAN-GP's E[(‖∇D(x̂)‖ − 1)²] at x̂ = ε·real + (1 − ε)·fake, ε [B, 1] in [0, 1]: a
    1-Lipschitz critic has gradient norm 1 between the two distributions."""
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    grad, = torch.autograd.grad(d(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.norm(dim=1) - 1) ** 2).mean()


def d_output(loss: str, scores: torch.Tensor) -> torch.Tensor:
    """What a plot shows of D (see D_MEANING): σ(s) for the two log-losses, the raw score else."""
    return torch.sigmoid(scores) if loss in ("minimax", "non-saturating") else scores


# --- what the plots show --------------------------------------------------------------------------
@dataclass
class ToySnapshot:
    """Everything the 1-D plots show at one step. Densities integrate to 1 over the grid."""

    step: int
    grid: np.ndarray  # [G] x positions
    bin_edges: np.ndarray  # [bins + 1]
    data_density: np.ndarray  # [bins] histogram of real samples (density)
    generator_density: np.ndarray  # [G] kernel density estimate of G's samples
    discriminator: np.ndarray  # [G] D's output (see D_MEANING[loss]: for the log-losses, P(real))
    distance: float  # 1-D Wasserstein distance between G's samples and the data
    d_loss: float = float("nan")  # the last D and G losses (nan before the first step)
    g_loss: float = float("nan")
    loss: str = "non-saturating"


@dataclass
class ToySnapshot2D:
    """Everything the 2-D plots show at one step: D as a heat map under the real points and G's."""

    step: int
    span: tuple[float, float]  # the square [lo, hi]² shown
    real: np.ndarray  # [shown, 2] a fixed sample of the data (the same at every step)
    fake: np.ndarray  # [shown, 2] G(z) of fixed z: the same z at every step, so points move
    z: np.ndarray  # [shown, z_dim] those z (with z_dim 2 a view can draw G's warped z-plane)
    heat_axis: np.ndarray  # [P] the x (and y) of the heat map's cell centres
    discriminator: np.ndarray  # [P, P] D's output at (heat_axis[col], heat_axis[row]): row = y
    distance: float  # sliced Wasserstein distance between G's points and the data
    push: np.ndarray | None = None  # [shown, 2] −∇ₓ of G's loss at each of G's points: where D's
    # slope pushes them (GAN Lab's gradient arrows; G moves its points along these, through its weights)
    d_loss: float = float("nan")
    g_loss: float = float("nan")
    loss: str = "non-saturating"


class ToyGan:
    """The two networks, their optimisers and the data; ``step`` trains and returns a snapshot."""

    def __init__(self, data="two gaussians", seed: int = 0, config: ToyConfig | None = None):
        self.data = distribution(data)
        config = config if config is not None else default_config(self.data)
        self.data_name = data if isinstance(data, str) else "drawn"
        self.config, self.seed = config, seed
        self.rng = np.random.default_rng(seed)
        self.torch_rng = torch.Generator().manual_seed(seed)
        dim = self.data.dim
        with torch.random.fork_rng(devices=[]):  # seeded initial weights, global RNG untouched
            torch.manual_seed(seed)
            self.g = mlp(config.z_dim, config.hidden, dim)
            self.d = mlp(dim, config.hidden, 1)
        self.opt_g = torch.optim.Adam(self.g.parameters(), config.lr_g, betas=config.betas)
        self.opt_d = torch.optim.Adam(self.d.parameters(), config.lr_d, betas=config.betas)
        self.steps = self.d_updates = self.g_updates = 0
        self.last_d_loss = self.last_g_loss = float("nan")
        span = self.data.span
        if dim == 1:
            # A fixed large real sample for the histogram and the distance, so they do not flicker.
            self.reference = np.sort(self.data.sample(4096, np.random.default_rng(seed + 1)))
            self.grid = np.linspace(*span, config.grid_points)
            self.bin_edges = np.linspace(*span, config.bins + 1)
            self.data_density, _ = np.histogram(self.reference, self.bin_edges, density=True)
            self.eval_z = torch.randn(len(self.reference), config.z_dim, generator=self.torch_rng)
        else:
            self.reference = self.data.sample(config.shown, np.random.default_rng(seed + 1))
            self.eval_z = torch.randn(config.shown, config.z_dim, generator=self.torch_rng)
            step = (span[1] - span[0]) / config.heat_points
            self.heat_axis = span[0] + step * (np.arange(config.heat_points) + 0.5)
            xs, ys = np.meshgrid(self.heat_axis, self.heat_axis)  # row = y, column = x
            self._heat_points = torch.tensor(np.stack([xs.ravel(), ys.ravel()], 1), dtype=torch.float32)
            # Fixed directions for the sliced Wasserstein distance: the same yardstick every step.
            angles = np.pi * np.arange(16) / 16
            self._directions = np.stack([np.cos(angles), np.sin(angles)], 1)

    # The 1-D view's names for the data (it only knew mixtures).
    @property
    def mixture(self):
        return self.data

    @property
    def mixture_name(self) -> str:
        return self.data_name

    @property
    def dim(self) -> int:
        return self.data.dim

    def tune(self, **changes) -> None:
        """Change knobs while training (LIVE_FIELDS: the learning rates, the loss, D steps per G
        step, λ, the batch); the optimisers keep their state. The width and z_dim make new
        networks: build a new ToyGan for those."""
        frozen = sorted(set(changes) - set(LIVE_FIELDS))
        if frozen:
            raise ValueError(f"{', '.join(frozen)} cannot change while training; start a new toy GAN "
                             f"(live: {', '.join(LIVE_FIELDS)})")
        self.config = dataclasses.replace(self.config, **changes)
        for group in self.opt_d.param_groups:
            group["lr"] = self.config.lr_d
        for group in self.opt_g.param_groups:
            group["lr"] = self.config.lr_g

    def noise(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.config.z_dim, generator=self.torch_rng)

    def real_batch(self, n: int) -> torch.Tensor:
        return torch.from_numpy(self.data.sample(n, self.rng)).float().reshape(n, self.dim)

    def train(self, n: int = 1, which: str = "both") -> None:
        """n training steps. ``which``: "both" (``critic_steps`` D updates on a real and a fake batch,
        then one G update through the updated D), "d" (D only: G stands still) or "g" (G only:
        it climbs the D of the moment)."""
        if which not in WHICH:
            raise ValueError(f"which must be one of {', '.join(WHICH)}, got {which!r}")
        # Tiny MLPs: handing their small ops to a second intra-op thread costs more than the
        # maths (30× slower on a busy 2-core machine), so this thread computes alone.
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            for _ in range(n):
                if which != "g":
                    for _ in range(self.config.critic_steps if which == "both" else 1):
                        self._d_update()
                if which != "d":
                    self._g_update()
                self.steps += 1
        finally:
            torch.set_num_threads(threads)

    def _d_update(self) -> None:
        b, loss = self.config.batch_size, self.config.loss
        real = self.real_batch(b)
        with torch.no_grad():
            fake = self.g(self.noise(b))
        total = d_loss(loss, self.d(real), self.d(fake))
        self.last_d_loss = float(total.detach())  # the game's value, without the penalty
        if loss == "wasserstein-gp":
            eps = torch.rand(b, 1, generator=self.torch_rng)
            total = total + self.config.gp_weight * gradient_penalty(self.d, real, fake, eps)
        self.opt_d.zero_grad(set_to_none=True)
        total.backward()
        self.opt_d.step()
        self.d_updates += 1

    def _g_update(self) -> None:
        loss = g_loss(self.config.loss, self.d(self.g(self.noise(self.config.batch_size))))
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()  # (D's gradients from this pass are cleared before D's next update)
        self.last_g_loss = float(loss.detach())
        self.g_updates += 1

    def step(self, n: int = 1, which: str = "both") -> ToySnapshot | ToySnapshot2D:
        """Train n steps and return what to draw."""
        self.train(n, which)
        return self.snapshot()

    @torch.no_grad()
    def generate(self, n: int | None = None) -> np.ndarray:
        """G's samples, by default from the fixed noise so successive pictures are comparable:
        1-D sorted [n], 2-D [n, 2] in the order of the z they came from."""
        out = self.g(self.eval_z if n is None else self.noise(n)).numpy().astype(np.float64)
        return np.sort(out[:, 0]) if self.dim == 1 else out

    @torch.no_grad()
    def discriminator_on(self, points: np.ndarray) -> np.ndarray:
        """D's output (see D_MEANING) at ``points`` [n] (1-D) or [n, 2] (2-D)."""
        x = torch.as_tensor(np.asarray(points), dtype=torch.float32).reshape(-1, self.dim)
        return d_output(self.config.loss, self.d(x)).squeeze(1).numpy().astype(np.float64)

    def discriminator_curve(self) -> np.ndarray:
        return self.discriminator_on(self.grid)

    def snapshot(self) -> ToySnapshot | ToySnapshot2D:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return self._snapshot_1d() if self.dim == 1 else self._snapshot_2d()
        finally:
            torch.set_num_threads(threads)

    def _snapshot_1d(self) -> ToySnapshot:
        samples = self.generate()
        return ToySnapshot(self.steps, self.grid, self.bin_edges, self.data_density,
                           kde(samples, self.grid), self.discriminator_curve(),
                           wasserstein_1d(samples, self.reference), self.last_d_loss, self.last_g_loss,
                           self.config.loss)

    def _snapshot_2d(self) -> ToySnapshot2D:
        fake = self.generate()
        side = self.config.heat_points
        with torch.no_grad():
            heat = d_output(self.config.loss, self.d(self._heat_points)).reshape(side, side).numpy()
        return ToySnapshot2D(self.steps, tuple(self.data.span), self.reference, fake, self.eval_z.numpy(),
                             self.heat_axis, heat.astype(np.float64),
                             sliced_wasserstein(fake, self.reference, self._directions), self.push(fake),
                             self.last_d_loss, self.last_g_loss, self.config.loss)

    def push(self, points: np.ndarray) -> np.ndarray:
        """−∇ₓ of G's loss at ``points`` [n, dim] (the loss summed, so each row is that point's
        own): the direction D's current slope pushes a generated point, and how hard."""
        x = torch.as_tensor(points, dtype=torch.float32).reshape(-1, self.dim).requires_grad_(True)
        grad, = torch.autograd.grad(g_loss(self.config.loss, self.d(x)) * len(x), x)
        return -grad.numpy().astype(np.float64)


# --- yardsticks ---------------------------------------------------------------------------------
def kde(samples: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Gaussian kernel density estimate on ``grid``, bandwidth by Silverman's rule."""
    spread = min(samples.std(), np.subtract(*np.percentile(samples, [75, 25])) / 1.34) or samples.std()
    h = max(0.9 * spread * len(samples) ** -0.2, 1e-3)
    # Binned first (fast for thousands of samples): counts on a fine grid, then the kernel.
    counts, edges = np.histogram(samples, bins=4 * len(grid), range=(grid[0], grid[-1]))
    centres = (edges[:-1] + edges[1:]) / 2
    weights = np.exp(-0.5 * ((grid[:, None] - centres[None, :]) / h) ** 2) / (h * np.sqrt(2 * np.pi))
    return weights @ counts / len(samples)


def wasserstein_1d(a: np.ndarray, b: np.ndarray) -> float:
    """Earth mover's distance between two equal-sized 1-D samples: mean |sorted a - sorted b|."""
    if len(a) != len(b):
        raise ValueError(f"equal-sized samples needed, got {len(a)} and {len(b)}")
    return float(np.abs(np.sort(a) - np.sort(b)).mean())


def sliced_wasserstein(a: np.ndarray, b: np.ndarray, directions: np.ndarray) -> float:
    """The 1-D earth mover's distance of the two 2-D samples projected on each of ``directions``
    [m, 2] (unit vectors), averaged: a cheap stand-in for the 2-D one (Rabin et al. 2011)."""
    return float(np.mean([wasserstein_1d(a @ u, b @ u) for u in directions]))


def mode_coverage(points: np.ndarray, centres, spread: float) -> tuple[int, float]:
    """(modes covered, share of points near a mode) of 2-D ``points`` against Gaussians at
    ``centres`` of standard deviation ``spread``, as the unrolled-GAN paper counts them (Metz et
    al. 2017): a point is near a mode within 3 standard deviations of its centre; a mode is
    covered when at least a quarter of its fair share (n / modes) of the points are near it."""
    centres = np.asarray(centres)
    distance = np.linalg.norm(points[:, None, :] - centres[None, :, :], axis=2)
    nearest, near = distance.argmin(1), distance.min(1) <= 3 * spread
    counts = np.bincount(nearest[near], minlength=len(centres))
    return int((counts >= len(points) / len(centres) / 4).sum()), float(near.mean())
