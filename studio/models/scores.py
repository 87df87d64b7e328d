"""One yardstick for every model: how much do its samples look like the real sprites?

The losses of the three models cannot be compared (bits/px, −ELBO, a discriminator's loss)
and say little about what a user sees. These scores look only at *sprites*, so a PixelRNN,
a VAE, a GAN or anybody's sprite file is measured the same way. Three sets go in, all
palette indices [n, H, W] (RGB uint8 [n, H, W, 3] is snapped to the palette first, so a
sprite is scored as the studio draws it):

    S  the samples,
    T  the training sprites (what the model was fit to: the reference for S),
    V  held-out sprites (never trained on: real sprites the model could have drawn).

- c2st — classifier two-sample test (Lopez-Paz & Oquab 2017): a small CNN learns to tell S
  from T; its accuracy on sprites it was not trained on (k-fold cross-validation, classes
  balanced) is the score. 0.5: the classifier cannot tell them apart; 1.0: trivially fake.
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
512-sprite score takes well under a minute on one CPU core.
"""

from __future__ import annotations

import contextlib

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from studio.data.palette import Palette
from studio.models.gan_signals import median_bandwidth, mmd, sprite_features

SCORE_KEYS = ("c2st", "precision", "recall", "copy_rate", "mmd2")
NEIGHBOURS = 3  # k of the k-NN manifolds (Kynkäänniemi et al. use k = 3)
COPY_QUANTILE = 0.0  # τ: the quantile of held-out d_T a copy is closer than (0: all of them)
FEATURE_SEED = 20190411  # the random feature network's weights; constant so runs compare
CLASSIFIER_EPOCHS = 12
CLASSIFIER_FOLDS = 4


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
def _classifier() -> nn.Module:
    """A small CNN. Max-pooled, not averaged: a fake can give itself away in one spot (a
    stray pixel, a broken outline), and averaging dilutes that spot over the sprite. On the
    course data this took shuffled sprites from 0.95 to 0.99 at the same cost."""
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(),
        nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(64, 64, 3, stride=2, padding=1), nn.ReLU(),
        nn.AdaptiveMaxPool2d(2), nn.Flatten(), nn.Linear(64 * 4, 1))


def classifier_two_sample_test(fake: torch.Tensor, real: torch.Tensor, *, seed: int = 0,
                               folds: int = CLASSIFIER_FOLDS, epochs: int = CLASSIFIER_EPOCHS) -> float:
    """Cross-validated accuracy of a CNN telling ``fake`` from ``real`` CIELAB images
    [n, 3, H, W]. The larger set is subsampled to the smaller one's size, so guessing scores
    0.5; each sprite is predicted once, by the classifier that did not train on it."""
    g = torch.Generator().manual_seed(seed)
    m = min(len(fake), len(real))
    if m < folds:
        raise ValueError(f"the two-sample test needs at least {folds} sprites in each set, got {m}")
    x = torch.cat([fake[torch.randperm(len(fake), generator=g)[:m]],
                   real[torch.randperm(len(real), generator=g)[:m]]])
    y = torch.cat([torch.ones(m), torch.zeros(m)])
    fold_of = torch.cat([torch.randperm(m, generator=g) % folds] * 2)  # stratified: m of each per fold
    correct = 0
    with torch.random.fork_rng(devices=[]):  # the classifier's init must not move the caller's RNG
        torch.manual_seed(seed)
        for fold in range(folds):
            train, test = fold_of != fold, fold_of == fold
            net = _fit(_classifier(), x[train], y[train], epochs, g)
            with torch.no_grad():
                correct += int(((net(x[test]).squeeze(1) > 0).float() == y[test]).sum())
    return correct / len(x)


def _fit(net: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int, g: torch.Generator,
         batch_size: int = 64) -> nn.Module:
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    with torch.enable_grad():  # the engine evaluates under no_grad
        for _ in range(epochs):
            for idx in torch.randperm(len(x), generator=g).split(batch_size):
                loss = F.binary_cross_entropy_with_logits(net(x[idx]).squeeze(1), y[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
    return net.eval()


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
                  classifier_epochs: int = CLASSIFIER_EPOCHS, folds: int = CLASSIFIER_FOLDS) -> dict[str, float]:
    """The yardstick of ``samples`` against the real sprites: {c2st, precision, recall,
    copy_rate, mmd2} (see the module docstring). At most ``n`` samples and ``n`` training
    sprites are used, drawn with ``seed``; all held-out sprites set the copy threshold."""
    palette = palette if isinstance(palette, Palette) else Palette(np.asarray(palette))
    train, held = as_indices(real_train, palette), as_indices(real_held, palette)
    if len(held) == 0:
        raise ValueError("scoring needs held-out sprites: the copy threshold is set by them")
    rng = np.random.default_rng(seed)
    fake = _subsample(as_indices(samples, palette), n, rng)
    real = _subsample(train, n, rng)
    return _score(fake, real, train, copy_threshold(train, held, palette), palette, seed,
                  classifier_epochs, folds)


@_one_thread()
def reference_rows(real_train, real_held, palette: Palette, *, n: int = 512, seed: int = 0,
                   classifier_epochs: int = CLASSIFIER_EPOCHS, folds: int = CLASSIFIER_FOLDS) -> dict[str, dict]:
    """What the yardstick says of real sprites, to read every model's figures against:

    - ``real`` (the floor): the held-out sprites scored as if a model had drawn them — what a
      perfect model reaches (c2st ≈ 0.5, copy rate ≈ COPY_QUANTILE by construction);
    - ``shuffled`` (the ceiling): training sprites with their pixels shuffled — the right
      colours in the wrong places (c2st ≈ 1, precision ≈ 0, copy rate 0).
    """
    palette = palette if isinstance(palette, Palette) else Palette(np.asarray(palette))
    train, held = as_indices(real_train, palette), as_indices(real_held, palette)
    rng = np.random.default_rng(seed)
    real = _subsample(train, n, rng)
    threshold = copy_threshold(train, held, palette)
    shuffled = shuffle_pixels(_subsample(train, n, rng), rng)
    return {"real": _score(_subsample(held, n, rng), real, train, threshold, palette, seed, classifier_epochs, folds),
            "shuffled": _score(shuffled, real, train, threshold, palette, seed, classifier_epochs, folds)}


def shuffle_pixels(sprites: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each sprite's pixels in a random order of its own: its colours, none of its shape."""
    flat = sprites.reshape(len(sprites), -1)
    order = np.argsort(rng.random(flat.shape), axis=1)
    return np.take_along_axis(flat, order, axis=1).reshape(sprites.shape)


def _score(fake, real, train, threshold, palette, seed, classifier_epochs, folds) -> dict[str, float]:
    precision, recall = precision_recall(features(fake, palette), features(real, palette))
    fake_lab, real_lab = sprite_features(fake, palette), sprite_features(real, palette)
    return {"c2st": classifier_two_sample_test(lab_images(fake, palette), lab_images(real, palette), seed=seed,
                                               folds=folds, epochs=classifier_epochs),
            "precision": precision, "recall": recall,
            "copy_rate": copy_rate(fake, train, threshold, palette),
            "mmd2": mmd(fake_lab, real_lab, median_bandwidth(real_lab))}


def _subsample(sprites: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    return sprites if len(sprites) <= n else sprites[np.sort(rng.choice(len(sprites), n, replace=False))]
