"""One yardstick for every model: how much do its samples look like the real sprites?

The losses of the three models cannot be compared (bits/px, −ELBO, a discriminator's loss)
and say little about what a user sees. These scores look only at *sprites*, so a PixelRNN,
a VAE, a GAN or anybody's sprite file is measured the same way. Three sets go in, all
palette indices [n, H, W] (RGB uint8 [n, H, W, 3] is snapped to the palette first, so a
sprite is scored as the studio draws it):

    S  the samples,
    T  the training sprites (what the model was fit to: the reference for S),
    V  held-out sprites (never trained on: real sprites the model could have drawn).

- c2st — classifier two-sample test (Lopez-Paz & Oquab 2017): a CNN learns to tell S from T;
  its accuracy on sprites it was not trained on (5-fold cross-validation, classes balanced)
  is the score, with a 95 % interval c2st_low..c2st_high over the folds (Nadeau–Bengio's
  corrected t). 0.5: the classifier cannot tell them apart; 1.0: trivially fake. The CNN is
  made as sharp as the data allows (SpriteClassifier; docs/yardstick.md has the measurements):
  a weaker one called a GAN's speckled blobs "close to real" (0.78) while a person tells every
  one at a glance; this one catches them (0.98) and stays at chance on real against real.
- precision, recall (Kynkäänniemi et al. 2019): the real manifold is the union of balls
  around each real feature vector reaching its k-th nearest real neighbour (k = 3); precision
  is the share of samples inside it (fidelity), recall the share of real sprites inside the
  samples' manifold (coverage). One number such as MMD mixes the two; a GAN that draws one
  perfect sprite has high precision and ~0 recall.
- copy_rate: memorisation. d_T(x) is how unlike x is to its nearest training sprite: the
  share of creature pixels (not background, palette index 0, in either sprite) whose colour
  differs. A copy has the same colours in the same places, d_T ≈ 0. Two choices, both
  measured on the course data: (1) the background both sprites share says nothing about
  copying — counted, an empty frame would "copy" every small Pokémon; (2) exact colours,
  not a colour distance: with RMS ΔE (or "within ΔE 10") a blurry, average-looking sprite
  is near many training sprites at once, and 31 % of a 2-CPU-minute GAN's speckled blobs
  counted as copies; with exact colours 0 % do, while training sprites with 10 % of their
  pixels re-coloured still all count (d_T ≤ 0.29). Held-out sprites set the threshold:
  τ = min d_T over V, so a copy is a sample closer to a training sprite than every held-out
  sprite is to its own (0.72 on the course data: no new Pokémon shares over 28 % of its
  creature pixels with a training sprite). Not a higher quantile: held-out d_T bunch at
  0.8–0.9, and the 5th percentile (0.82) let 28 % of a young VAE's grey blobs "copy" the
  outlines they share with many sprites (0.8 % at τ = min). The copy rate is the share of
  samples with d_T(s) ≤ τ: about 1/(|V|+1) for a model that draws new sprites like real
  ones (the real row: 1/79), ≈ 1 for one that reproduces its training set.
- mmd2: the squared MMD with the CIELAB kernel of gan_signals (σ: median distance in T).

The feature space of precision and recall is FIXED, not learnt: a random, untrained
two-layer CNN over the CIELAB image (3×3 filters from a constant seed, He-scaled; the second
layer strided, so 64 channels on a 10×10 grid). Naeem et al. 2020 (§4, "random embeddings")
found random conv features to rank generators as well as trained ones on data unlike ImageNet
— and a 20×20 palette sprite is very unlike ImageNet, so a downloaded network would be no
better, only a big download. Measured on the course data (n = 512) while choosing, against the plain CIELAB
pixels and a 5×5-pooled variant: held-out sprites P/R 0.47/0.62 (pixels 0.42/0.56, pooled
0.65/0.78); shuffled pixels 0.07/0.23 (0.06/0.19, 0.42/0.06); held-out sprites with 15 % of
the pixels speckled 0.22/0.71 (0.08/0.64, 0.62/0.72); shifted by 2 pixels 0.39/0.55
(0.29/0.49, 0.54/0.67). Pooling more forgives speckle — the GAN's failure — so it is out;
the conv features forgive a small shift more than pixels do, so they are in. Known blind
spot of k-NN manifolds: a set of empty frames lands inside the balls of the smallest real
sprites (precision 1) — its recall ≈ 0 and c2st ≈ 1 say what it is, so read them together.
The same features for every model and run: the numbers of two runs compare. With the
weights kept here, the course data's reference rows read P/R 0.49/0.61 (held-out sprites:
what a perfect model scores, not 1.0 — real sprites are sparse in 6400 dimensions) and
0.09/0.18 (shuffled).

Everything is deterministic for a seed and leaves the global RNG alone (the engine calls it
in the middle of training). The real sets are subsampled to at most ``n`` (T) so that a
512-sprite score takes about a CPU-minute on one core (the live score in the monitor is a
cheaper classifier: a trend, not the figure).
"""

from __future__ import annotations

import contextlib
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from studio.data.palette import Palette
from studio.models import references
from studio.models.gan_signals import median_bandwidth, mmd, sprite_features

SCORE_KEYS = ("c2st", "c2st_low", "c2st_high", "precision", "recall", "copy_rate", "mmd2")
NEIGHBOURS = 3  # k of the k-NN manifolds (Kynkäänniemi et al. use k = 3)
COPY_QUANTILE = 0.0  # τ: the quantile of held-out d_T a copy is closer than (0: all of them)
FEATURE_SEED = 20190411  # the random feature network's weights; constant so runs compare
CLASSIFIER_WIDTHS = (32, 64, 128)
CLASSIFIER_EPOCHS = 30
CLASSIFIER_FOLDS = 5
CLASSIFIER_SEEDS = 1
REAL_SEEDS = 3  # the held-out row's repeats (it has few sprites, so they are cheap)
CLASSIFIER_SHIFT = 2  # pixels each way
#: Student's t 97.5 % quantiles for 1, 2, ... degrees of freedom (the last one is used beyond)
T_975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
         2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
         2.052, 2.048, 2.045, 2.042)


# --- sprites in, CIELAB images out -------------------------------------------------------------
def as_indices(sprites, palette: Palette) -> np.ndarray:
    """[n, H, W] palette indices as they are, or RGB uint8 [n, H, W, 3] snapped to the
    perceptually nearest palette colour (as the studio shows it)."""
    sprites = np.asarray(sprites.cpu() if torch.is_tensor(sprites) else sprites)
    if sprites.ndim == 4 and sprites.shape[-1] == 3:
        return palette.nearest(sprites)
    if sprites.ndim != 3:
        raise ValueError(f"sprites are [n, H, W] palette indices or [n, H, W, 3] RGB, got shape {sprites.shape}")
    if sprites.size and (sprites.min() < 0 or sprites.max() >= len(palette)):
        raise ValueError(f"colour index {int(sprites.max())} is outside the palette (0..{len(palette) - 1})")
    return sprites.astype(np.int64)


def lab_images(indices: np.ndarray, palette: Palette) -> torch.Tensor:
    """Indices [n, H, W] → CIELAB images [n, 3, H, W] scaled to about [-1, 1]."""
    lab = torch.tensor(palette.lab / 100.0, dtype=torch.float32)
    return lab[torch.as_tensor(indices, dtype=torch.long)].permute(0, 3, 1, 2)


# --- the fixed feature space -------------------------------------------------------------------
def _random_filters(g: torch.Generator, c_out: int, c_in: int) -> torch.Tensor:
    return torch.randn(c_out, c_in, 3, 3, generator=g) * (2 / (9 * c_in)) ** 0.5  # He init


def features(indices: np.ndarray, palette: Palette) -> torch.Tensor:
    """The fixed embedding of precision / recall: [n, 64·(H/2)·(W/2)], see the module docstring."""
    g = torch.Generator().manual_seed(FEATURE_SEED)
    w1, w2 = _random_filters(g, 32, 3), _random_filters(g, 64, 32)
    with torch.no_grad():
        h = F.relu(F.conv2d(lab_images(indices, palette), w1, padding=1))
        return F.relu(F.conv2d(h, w2, stride=2, padding=1)).flatten(1)


def precision_recall(fake: torch.Tensor, real: torch.Tensor, k: int = NEIGHBOURS) -> tuple[float, float]:
    """Kynkäänniemi et al. 2019 on feature rows: (share of fake inside real's k-NN manifold,
    share of real inside fake's)."""
    def radii(x):  # distance of each point to its k-th nearest other point of its own set
        return torch.cdist(x, x).kthvalue(k + 1, dim=1).values  # +1: the point itself is at 0

    d = torch.cdist(fake, real)  # [n_fake, n_real]
    precision = (d <= radii(real)[None, :]).any(dim=1).float().mean()
    recall = (d <= radii(fake)[:, None]).any(dim=0).float().mean()
    return float(precision), float(recall)


# --- the classifier two-sample test ------------------------------------------------------------
class SpriteClassifier(nn.Module):
    """The c2st's CNN: a full-resolution layer first (speckle and broken outlines live in
    single pixels), then stride-2 layers for shape; batch norm after each convolution (without
    it, measured, the scrambled-interior set drops from 0.95 to 0.86: the small net does not
    train far enough in the budget). Its features are pooled two ways: the maximum sees the
    one spot a fake gives itself away in, the mean counts how much of a sprite looks wrong —
    real sprites have some colour edges too, only fewer than a speckled one."""

    def __init__(self, widths: tuple[int, ...] = CLASSIFIER_WIDTHS):
        super().__init__()
        layers = []
        for i, (c_in, c_out) in enumerate(zip((3, *widths), widths)):
            layers += [nn.Conv2d(c_in, c_out, 3, stride=1 if i == 0 else 2, padding=1),
                       nn.BatchNorm2d(c_out), nn.ReLU()]
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(2 * widths[-1], 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.body(x)
        return self.head(torch.cat([h.amax((2, 3)), h.mean((2, 3))], 1))


def classifier_two_sample_test(fake: torch.Tensor, real: torch.Tensor, *, seed: int = 0,
                               seeds: int = CLASSIFIER_SEEDS, folds: int = CLASSIFIER_FOLDS,
                               epochs: int = CLASSIFIER_EPOCHS, shift: int = CLASSIFIER_SHIFT,
                               flip: bool = True, make_net=SpriteClassifier, **fit) -> dict[str, float]:
    """Cross-validated accuracy of a CNN telling ``fake`` from ``real`` CIELAB images
    [n, 3, H, W], repeated for ``seeds`` fold assignments and initialisations: {c2st: the
    accuracy, c2st_low, c2st_high: its 95 % interval}. The larger set is subsampled to the
    smaller one's size, so guessing scores 0.5; in each repeat every sprite is predicted once,
    by the classifier that did not train on it."""
    g = torch.Generator().manual_seed(seed)
    m = min(len(fake), len(real))
    if m < folds:
        raise ValueError(f"the two-sample test needs at least {folds} sprites in each set, got {m}")
    x = torch.cat([fake[torch.randperm(len(fake), generator=g)[:m]],
                   real[torch.randperm(len(real), generator=g)[:m]]])
    y = torch.cat([torch.ones(m), torch.zeros(m)])
    accuracies, correct = [], 0
    with torch.random.fork_rng(devices=[]):  # the classifier's init must not move the caller's RNG
        torch.manual_seed(seed)
        for _ in range(seeds):
            fold_of = torch.cat([torch.randperm(m, generator=g) % folds] * 2)  # stratified: m of each per fold
            for fold in range(folds):
                train, test = fold_of != fold, fold_of == fold
                net = _fit(make_net(), x[train], y[train], epochs, g, shift, flip, **fit)
                with torch.no_grad():
                    logits = net(x[test]) + (net(x[test].flip(-1)) if flip else 0)
                right = int(((logits.squeeze(1) > 0).float() == y[test]).sum())
                correct += right
                accuracies.append(right / int(test.sum()))
    return {"c2st": correct / (seeds * len(x)),
            **dict(zip(("c2st_low", "c2st_high"), cv_interval(accuracies, folds)))}


def cv_interval(accuracies, folds: int) -> tuple[float, float]:
    """95 % interval of the mean of repeated k-fold accuracies: Student's t with Nadeau and
    Bengio's (2003) correction of the variance, (1/J + 1/(k−1))·S² for J fold results, since
    the folds' training sets overlap and their accuracies are not independent."""
    a = np.asarray(accuracies, dtype=np.float64)
    if len(a) < 2:
        return float(a.mean()), float(a.mean())
    half = T_975[min(len(a) - 1, len(T_975)) - 1] * np.sqrt((1 / len(a) + 1 / (folds - 1)) * a.var(ddof=1))
    return float(max(0.0, a.mean() - half)), float(min(1.0, a.mean() + half))


def _shifted(x: torch.Tensor, shift: int, g: torch.Generator) -> torch.Tensor:
    """Each image moved by its own random offset of up to ``shift`` pixels each way (the
    border repeated into the gap): where a creature sits in the frame says nothing of
    whether it is real, so the classifier must not learn positions by heart."""
    n, _, h, w = x.shape
    padded = F.pad(x, (shift,) * 4, mode="replicate")
    dy, dx = (torch.randint(0, 2 * shift + 1, (2, n), generator=g))
    rows = (dy[:, None] + torch.arange(h))[:, None, :, None]
    cols = (dx[:, None] + torch.arange(w))[:, None, None, :]
    return padded[torch.arange(n)[:, None, None, None], torch.arange(x.shape[1])[None, :, None, None], rows, cols]


def _fit(net: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int, g: torch.Generator,
         shift: int = 0, flip: bool = False, batch_size: int = 64, lr: float = 2e-3, cosine: bool = False) -> nn.Module:
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    steps = epochs * -(-len(x) // batch_size)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 0.5 * (1 + math.cos(math.pi * t / steps)) if cosine else 1.0)
    with torch.enable_grad():  # the engine evaluates under no_grad
        for _ in range(epochs):
            for idx in torch.randperm(len(x), generator=g).split(batch_size):
                batch = _shifted(x[idx], shift, g) if shift else x[idx]
                if flip:  # a mirrored sprite is as real (or as fake) as the sprite
                    mirror = torch.rand(len(idx), generator=g) < 0.5
                    batch = torch.where(mirror[:, None, None, None], batch.flip(-1), batch)
                loss = F.binary_cross_entropy_with_logits(net(batch).squeeze(1), y[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
        _settle_batch_norm(net, x)
    return net.eval()


def _settle_batch_norm(net: nn.Module, x: torch.Tensor, batch_size: int = 256) -> None:
    """Batch norm's running averages trail the weights, far behind after a short training (the
    live score's: shuffled pixels read 0.72 instead of 1.0 on the built-in data). Recompute
    them with the final weights over the training sprites, an equal-weight average."""
    norms = [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
    net.train()
    with torch.no_grad():
        for batch in x.split(batch_size):
            net(batch)


# --- memorisation ------------------------------------------------------------------------------
def creature_mismatch(a: np.ndarray, b: np.ndarray, chunk: int = 32) -> torch.Tensor:
    """[n, m]: for each pair, the share of pixels that are creature (index ≠ 0) in either
    sprite and differ in colour; 0 for a copy (and for two empty frames)."""
    a, b = torch.as_tensor(a).flatten(1), torch.as_tensor(b).flatten(1)
    rows = []
    for x in a.split(chunk):  # [chunk, m, H·W] booleans at a time, not [n, m, H·W]
        x, y = x[:, None, :], b[None, :, :]
        union = ((x != 0) | (y != 0)).sum(-1).clamp(min=1)
        rows.append((x != y).sum(-1) / union)
    return torch.cat(rows) if rows else torch.zeros(0, len(b))


def nearest_copy_distances(sprites, real_train, palette: Palette) -> np.ndarray:
    """d_T: each sprite's creature mismatch with its nearest training sprite."""
    sprites, train = as_indices(sprites, palette), as_indices(real_train, palette)
    return creature_mismatch(sprites, train).min(1).values.numpy()


def copy_threshold(real_train, real_held, palette: Palette, quantile: float = COPY_QUANTILE) -> float:
    """τ: the ``quantile`` of held-out sprites' d_T."""
    return float(np.quantile(nearest_copy_distances(real_held, real_train, palette), quantile))


def copy_rate(samples, real_train, threshold: float, palette: Palette) -> float:
    """Share of samples at most ``threshold`` from their nearest training sprite."""
    return float(np.mean(nearest_copy_distances(samples, real_train, palette) <= threshold))


# --- the yardstick -----------------------------------------------------------------------------
@contextlib.contextmanager
def _one_thread():
    """Tiny convolutions gain nothing from more threads, and on a busy machine idle-spinning
    threads cost several times the work (measured: 10× the CPU time of the tests)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@_one_thread()
def score_samples(samples, real_train, real_held, palette: Palette, *, n: int = 512, seed: int = 0,
                  classifier_epochs: int = CLASSIFIER_EPOCHS, folds: int = CLASSIFIER_FOLDS,
                  classifier: dict | None = None) -> dict[str, float]:
    """The yardstick of ``samples`` against the real sprites: {c2st with its 95 % interval
    c2st_low..c2st_high, precision, recall, copy_rate, mmd2} (see the module docstring). At
    most ``n`` samples and ``n`` training sprites are used, drawn with ``seed``; all
    held-out sprites set the copy threshold. ``classifier``: more arguments of
    classifier_two_sample_test (a benchmark's other classifier)."""
    palette = palette if isinstance(palette, Palette) else Palette(np.asarray(palette))
    train, held = as_indices(real_train, palette), as_indices(real_held, palette)
    if len(held) == 0:
        raise ValueError("scoring needs held-out sprites: the copy threshold is set by them")
    rng = np.random.default_rng(seed)
    fake = _subsample(as_indices(samples, palette), n, rng)
    real = _subsample(train, n, rng)
    classifier = dict(seed=seed, epochs=classifier_epochs, folds=folds, **(classifier or {}))
    return _score(fake, real, train, copy_threshold(train, held, palette), palette, classifier)


@_one_thread()
def reference_rows(real_train, real_held, palette: Palette, *, n: int = 512, seed: int = 0,
                   rows: tuple[str, ...] = ("real", "shuffled"), classifier_epochs: int = CLASSIFIER_EPOCHS,
                   folds: int = CLASSIFIER_FOLDS, classifier: dict | None = None) -> dict[str, dict]:
    """What the yardstick says of real sprites and of deliberately broken ones, to read every
    model's figures against (studio/models/references.py draws them):

    - ``real`` (the floor at the data's own held-out size): the held-out sprites scored as if
      a model had drawn them — what a perfect model reaches (c2st ≈ 0.5, copy rate ≈
      COPY_QUANTILE by construction); with few held-out sprites its c2st is noisy, so its
      classifier is repeated over REAL_SEEDS fold assignments;
    - ``halves`` (the floor at a model's size): one random half of the training sprites
      against the other (c2st ≈ 0.5; its copy rate is 1 — they *are* training sprites);
    - the broken rows (references.BROKEN): ``shuffled`` (the ceiling: the right colours in the
      wrong places), ``scrambled``, ``resampled``, ``blurred`` — each made from the first half
      and scored against the second, so no sprite is on both sides.
    """
    palette = palette if isinstance(palette, Palette) else Palette(np.asarray(palette))
    train, held = as_indices(real_train, palette), as_indices(real_held, palette)
    unknown = set(rows) - {"real", "halves", *references.BROKEN}
    if unknown:
        raise ValueError(f"no reference row {sorted(unknown)}; there are real, halves, {', '.join(references.BROKEN)}")
    rng = np.random.default_rng(seed)
    threshold = copy_threshold(train, held, palette)
    classifier = dict(seed=seed, epochs=classifier_epochs, folds=folds, **(classifier or {}))
    first, second = (_subsample(half, n, rng) for half in references.halves(train, rng))
    result = {}
    for row in rows:
        if row == "real":
            result[row] = _score(_subsample(held, n, rng), _subsample(train, n, rng), train, threshold, palette,
                                 {"seeds": REAL_SEEDS, **classifier})
        else:
            fake = first if row == "halves" else references.BROKEN[row](first, palette, rng)
            result[row] = _score(fake, second, train, threshold, palette, classifier)
    return result


shuffle_pixels = references.shuffle_pixels  # the ceiling's sprites, where they were before


def _score(fake, real, train, threshold, palette, classifier: dict) -> dict[str, float]:
    precision, recall = precision_recall(features(fake, palette), features(real, palette))
    fake_lab, real_lab = sprite_features(fake, palette), sprite_features(real, palette)
    return {**classifier_two_sample_test(lab_images(fake, palette), lab_images(real, palette), **classifier),
            "precision": precision, "recall": recall,
            "copy_rate": copy_rate(fake, train, threshold, palette),
            "mmd2": mmd(fake_lab, real_lab, median_bandwidth(real_lab))}


def _subsample(sprites: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    return sprites if len(sprites) <= n else sprites[np.sort(rng.choice(len(sprites), n, replace=False))]
