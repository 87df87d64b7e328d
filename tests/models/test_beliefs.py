"""What the model thinks at each pixel: distributions, the surprise map against the model's own
log-likelihood, and the transformer's attention."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from studio.data import open_dataset
from studio.models import beliefs, pixelrnn, transformer, vae

DATA = "builtin:n=24,size=10,seed=5"  # 100 pixels a sprite
MODELS = {
    "pixelrnn-lecture": (pixelrnn, pixelrnn.Config(hidden=16, embed=8)),
    "pixelrnn-2d-copy": (pixelrnn, pixelrnn.Config(hidden=16, embed=8, context="2d", position=True, copy=True)),
    "transformer-gpt2": (transformer, transformer.Config(n_embd=16, n_head=2, n_layer=2)),
    "transformer-2d-copy": (transformer, transformer.Config(n_embd=16, n_head=2, n_layer=2, position="2d",
                                                            context="2d", copy=True)),
}


@pytest.fixture(scope="module")
def sprites():
    return open_dataset(DATA)


def _trained(module, config, sprites):
    torch.manual_seed(0)
    task = module.Task(config, sprites.palette.colors, (sprites.height, sprites.width), torch.device("cpu"))
    batch = torch.from_numpy(sprites.indices[:16]).long()
    for _ in range(3):  # a few steps, so the distributions are not the initial near-uniform ones
        task.train_step(task.modules(), batch)
    return task


@pytest.fixture(scope="module", params=list(MODELS))
def task(request, sprites):
    return _trained(*MODELS[request.param], sprites)


def test_each_pixel_has_a_distribution_over_the_palette(task, sprites):
    seen = beliefs.beliefs_of(task, sprites.indices[0])
    assert seen.log_probs.shape == (10, 10, len(sprites.palette)) and seen.sees == "raster" and seen.exact
    assert np.allclose(np.exp(seen.log_probs.astype(np.float64)).sum(-1), 1, atol=1e-5)
    top = seen.top_colours(4, 6, k=5)
    probs = [p for _, p in top]
    assert probs == sorted(probs, reverse=True) and len({c for c, _ in top}) == 5
    assert top[0][1] == pytest.approx(seen.probabilities(4, 6).max())
    assert seen.rank(4, 6) == 1 + int((seen.probabilities(4, 6) > seen.probabilities(4, 6)[sprites.indices[0][4, 6]]).sum())


def test_the_surprise_map_sums_to_the_models_own_log_likelihood(task, sprites):
    batch = sprites.indices[:6]
    maps = beliefs.surprise(task, batch)
    log_likelihood = task.log_likelihood(torch.from_numpy(batch)).numpy()  # nats, per sprite
    assert maps.shape == batch.shape and (maps >= 0).all()
    assert np.allclose(maps.reshape(6, -1).sum(1), -log_likelihood / math.log(2), rtol=1e-4)
    # ... and the mean is what evaluate reports as held-out bits per pixel.
    task.net.eval()
    assert maps.mean() == pytest.approx(task.evaluate(torch.from_numpy(batch))["bits_per_pixel"], rel=1e-4)
    one = beliefs.beliefs_of(task, batch[2])
    assert one.total_bits == pytest.approx(-log_likelihood[2] / math.log(2), rel=1e-4)
    assert np.allclose(one.surprise_bits, maps[2], atol=1e-4)


def test_a_pixel_is_predicted_from_the_pixels_before_it_only(task, sprites):
    sprite = sprites.indices[1].copy()
    before = beliefs.beliefs_of(task, sprite).log_probs.reshape(100, -1)
    sprite[5, 3] = (sprite[5, 3] + 1) % len(sprites.palette)  # pixel 53
    after = beliefs.beliefs_of(task, sprite).log_probs.reshape(100, -1)
    assert np.allclose(before[:54], after[:54], atol=1e-5)  # up to and including pixel 53 itself
    assert not np.allclose(before[54:], after[54:], atol=1e-5)


def test_a_sure_model_is_never_surprised():
    """A hand-made 'model' that puts all its mass on the true colour costs 0 bits; one that is
    uniform over 4 colours costs 2 bits at every pixel."""

    class Fixed:
        sees, size, num_colors = "raster", (2, 3), 4

        def __init__(self, log_probs):
            self.log_probs = log_probs

        def pixel_log_probs(self, sprites):
            return self.log_probs.expand(len(sprites), -1, -1)

    sprite = np.array([[0, 1, 2], [3, 0, 1]])
    uniform = Fixed(torch.full((1, 6, 4), math.log(0.25)))
    assert beliefs.beliefs_of(uniform, sprite).total_bits == pytest.approx(12.0)
    sure = torch.full((1, 6, 4), -1e9)
    sure[0, torch.arange(6), torch.from_numpy(sprite.ravel())] = 0.0
    seen = beliefs.beliefs_of(Fixed(sure), sprite)
    assert seen.total_bits == pytest.approx(0.0) and seen.top_colours(1, 0, 1) == [(3, 1.0)]


def test_models_without_a_per_pixel_distribution_say_so(sprites):
    task = vae.Task(vae.Config(width=8, hidden=16), sprites.palette.colors, (12, 12), torch.device("cpu"))
    assert not beliefs.has_beliefs(task)
    with pytest.raises(ValueError, match="open a PixelRNN, transformer or diffusion run"):
        beliefs.beliefs_of(task, np.zeros((12, 12), np.int64))
    pixel_task = _trained(*MODELS["pixelrnn-lecture"], sprites)
    assert beliefs.has_beliefs(pixel_task) and not beliefs.has_attention(pixel_task)
    with pytest.raises(ValueError, match="only the transformer"):
        beliefs.attention_of(pixel_task, sprites.indices[0])
    with pytest.raises(ValueError, match="10×10"):
        beliefs.beliefs_of(pixel_task, np.zeros((20, 20), np.int64))


@pytest.fixture(scope="module", params=["transformer-gpt2", "transformer-2d-copy"])
def transformer_task(request, sprites):
    return _trained(*MODELS[request.param], sprites)


def test_attention_covers_only_the_earlier_pixels_and_start(transformer_task, sprites):
    weights = beliefs.attention_of(transformer_task, sprites.indices[0])
    assert weights.shape == (2, 2, 100, 101)
    assert np.allclose(weights.sum(-1), 1, atol=1e-5)
    pixels = weights[..., :100]
    assert np.allclose(np.triu(pixels, k=0).sum(), 0)  # query t never looks at pixel t or later
    assert np.allclose(weights[:, :, 0, 100], 1)  # the first pixel sees nothing but START
    shown = beliefs.attention_map(weights, 3, 4, (10, 10))
    assert shown.weights.sum() + shown.other == pytest.approx(1, abs=1e-5)
    assert (shown.weights.ravel()[34:] == 0).all() and "mean of 2 layers, mean of 2 heads" == shown.how
    one = beliefs.attention_map(weights, 3, 4, (10, 10), layer=1, head=0)
    assert np.allclose(one.weights.ravel()[:34], weights[1, 0, 34, :34]) and one.how == "layer 2, head 1"


def test_attention_weights_are_the_ones_the_network_used(transformer_task, sprites):
    """softmax(q·kᵀ/√d)·v with the recomputed weights gives each block's attention output, as
    scaled_dot_product_attention computed it in the forward pass."""
    net = transformer_task.net.eval()
    batch = torch.from_numpy(sprites.indices[:2]).long()
    seen = []
    hooks = [b.attn.register_forward_hook(lambda m, args, out: seen.append((m, args[0], out))) for b in net.blocks]
    with torch.no_grad():
        net(net.context(net.pad(batch.reshape(2, -1)), 0, 100))
        for hook in hooks:
            hook.remove()
        weights = transformer.attention_weights(net, batch)  # [B, layers, heads, T, T]
        for layer, (attn, x, out) in enumerate(seen):
            b, t, c = x.shape
            v = attn.c_attn(x).split(c, dim=2)[2].view(b, t, attn.n_head, -1).transpose(1, 2)
            y = (weights[:, layer] @ v).transpose(1, 2).reshape(b, t, c)
            assert torch.allclose(attn.c_proj(y), out, atol=1e-5)


def test_a_diffusion_model_believes_each_pixel_given_every_other(sprites):
    """Diffusion sees both sides: each pixel's distribution is the network's with that pixel
    alone [MASK]ed, and the map's sum is a pseudo-log-likelihood, said so (not exact)."""
    from studio.models import diffusion

    task = _trained(diffusion, diffusion.Config(n_layer=1, n_embd=32, n_head=2), sprites)
    sprite = sprites.indices[2]
    seen = beliefs.beliefs_of(task, sprite)
    assert beliefs.has_beliefs(task) and seen.sees == "others" and not seen.exact
    assert np.allclose(np.exp(seen.log_probs).sum(-1), 1.0, atol=1e-4)
    task.net.eval()
    with torch.no_grad():  # pixel (4, 7) by hand: the sprite with that one pixel hidden
        hidden = torch.from_numpy(sprite[None]).long()
        hidden[0, 4, 7] = task.net.mask_token
        direct = task.net(hidden)[0, 4 * sprite.shape[1] + 7].log_softmax(-1).numpy()
    assert np.allclose(seen.log_probs[4, 7], direct, atol=1e-4)
    assert seen.total_bits == pytest.approx(seen.surprise_bits.sum())
