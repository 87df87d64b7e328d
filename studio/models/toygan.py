"""The lecture's 1-D GAN demo: watch G's density chase the data while D's curve tells them apart.

Real data x ~ p_data, a 1-D distribution the user picks (MIXTURES). The generator G maps
noise z ~ N(0, I) to a number; the discriminator D maps a number to the probability that it
is real. The game (Goodfellow et al. 2014):

    min_G max_D  E_x[log D(x)] + E_z[log(1 - D(G(z)))]

For a fixed G the best D is D*(x) = p_data(x) / (p_data(x) + p_G(x)): D's curve is high
where data outweighs G's samples and crosses 1/2 where the two densities meet, and G moves its
mass up D's slope. Small MLPs, a few milliseconds a step on a CPU.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class Mixture:
    """A mixture of Gaussians and uniform bumps: components (kind, centre, spread, weight)."""

    components: tuple[tuple[str, float, float, float], ...]
    span: tuple[float, float]  # the x range the plots show

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


MIXTURES = {
    "two gaussians": Mixture((("gauss", -2.0, 0.5, 1), ("gauss", 2.0, 0.5, 1)), (-5, 5)),
    "three gaussians": Mixture((("gauss", -3.0, 0.4, 1), ("gauss", 0.0, 0.4, 1), ("gauss", 3.0, 0.4, 1)), (-5, 5)),
    "uniform bump": Mixture((("uniform", 1.0, 1.5, 1),), (-5, 5)),
    "skewed": Mixture((("gauss", -1.5, 0.4, 3), ("gauss", 0.0, 0.8, 2), ("gauss", 2.0, 1.2, 1)), (-5, 6)),
}


@dataclass(frozen=True)
class ToyConfig:
    z_dim: int = 4
    hidden: int = 32
    batch_size: int = 256
    lr: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.999)
    grid_points: int = 200  # where D's curve and G's density are drawn
    bins: int = 60  # of the data histogram


def mlp(inputs: int, hidden: int, outputs: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(inputs, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden),
                         nn.LeakyReLU(0.2), nn.Linear(hidden, outputs))


@dataclass
class ToySnapshot:
    """Everything the plots show at one step. Densities integrate to 1 over the grid."""

    step: int
    grid: np.ndarray  # [G] x positions
    bin_edges: np.ndarray  # [bins + 1]
    data_density: np.ndarray  # [bins] histogram of real samples (density)
    generator_density: np.ndarray  # [G] kernel density estimate of G's samples
    discriminator: np.ndarray  # [G] D(x), the probability x is real
    distance: float  # 1-D Wasserstein distance between G's samples and the data


class ToyGan:
    def __init__(self, mixture: str = "two gaussians", seed: int = 0, config: ToyConfig = ToyConfig()):
        if mixture not in MIXTURES:
            raise ValueError(f"unknown mixture {mixture!r}; choose one of {', '.join(MIXTURES)}")
        self.mixture_name, self.mixture, self.config, self.seed = mixture, MIXTURES[mixture], config, seed
        self.rng = np.random.default_rng(seed)
        self.torch_rng = torch.Generator().manual_seed(seed)
        with torch.random.fork_rng(devices=[]):  # seeded initial weights, global RNG untouched
            torch.manual_seed(seed)
            self.g = mlp(config.z_dim, config.hidden, 1)
            self.d = mlp(1, config.hidden, 1)
        self.opt_g = torch.optim.Adam(self.g.parameters(), config.lr, betas=config.betas)
        self.opt_d = torch.optim.Adam(self.d.parameters(), config.lr, betas=config.betas)
        self.steps = 0
        # A fixed large real sample for the histogram and the distance, so they do not flicker.
        self.reference = np.sort(self.mixture.sample(4096, np.random.default_rng(seed + 1)))
        self.grid = np.linspace(*self.mixture.span, config.grid_points)
        self.bin_edges = np.linspace(*self.mixture.span, config.bins + 1)
        self.data_density, _ = np.histogram(self.reference, self.bin_edges, density=True)
        self.eval_z = torch.randn(len(self.reference), config.z_dim, generator=self.torch_rng)

    def noise(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.config.z_dim, generator=self.torch_rng)

    def train(self, n: int = 1) -> None:
        """n alternating steps: D on a real and a fake batch, then G through the updated D."""
        # Tiny MLPs: handing their small ops to a second intra-op thread costs more than the
        # maths (30× slower on a busy 2-core machine), so this thread computes alone.
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            self._train(n)
        finally:
            torch.set_num_threads(threads)

    def _train(self, n: int) -> None:
        b = self.config.batch_size
        for _ in range(n):
            real = torch.from_numpy(self.mixture.sample(b, self.rng)).float().unsqueeze(1)
            fake = self.g(self.noise(b))
            # D ascends log D(x) + log(1 - D(G(z))); as logits: softplus(-s) = -log σ(s).
            d_loss = F.softplus(-self.d(real)).mean() + F.softplus(self.d(fake.detach())).mean()
            self.opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            self.opt_d.step()
            # G: the non-saturating -log D(G(z)) rather than log(1 - D(G(z))) (flat when D wins).
            g_loss = F.softplus(-self.d(fake)).mean()
            self.opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            self.opt_g.step()
            self.steps += 1

    def step(self, n: int = 1) -> ToySnapshot:
        """Train n steps and return what to draw."""
        self.train(n)
        return self.snapshot()

    @torch.no_grad()
    def generate(self, n: int | None = None) -> np.ndarray:
        """G's samples, sorted; by default from fixed noise so successive pictures are comparable."""
        z = self.eval_z if n is None else self.noise(n)
        return np.sort(self.g(z).squeeze(1).numpy().astype(np.float64))

    @torch.no_grad()
    def discriminator_curve(self) -> np.ndarray:
        x = torch.from_numpy(self.grid).float().unsqueeze(1)
        return torch.sigmoid(self.d(x)).squeeze(1).numpy().astype(np.float64)

    def snapshot(self) -> ToySnapshot:
        samples = self.generate()
        return ToySnapshot(self.steps, self.grid, self.bin_edges, self.data_density,
                           kde(samples, self.grid), self.discriminator_curve(),
                           wasserstein_1d(samples, self.reference))


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
