"""A decoder-only transformer for 20×20 palette sprites: the course's newer take (HW4).

The same factorisation as PixelRNN (studio/models/pixelrnn.py), a sprite as H·W colour indices
in raster order and

    p(x) = Π_t p(x_t | x_<t),

but x_<t is read by causal self-attention instead of an LSTM state: position t's query
attends to the keys of positions ≤ t, softmax(q·kᵀ/√d)·v (Vaswani et al. 2017), so every pixel
can look back at any earlier one directly — the outline two rows up as easily as the pixel
to its left. The network is GPT-2's (Radford et al. 2019), as in nanoGPT's model.py: token +
position embedding, pre-norm blocks x + attn(ln(x)), x + mlp(ln(x)), a final layer norm and an
output layer tied to the token embedding. Position t's input is the colour of pixel t-1 (START
at t = 0), so logits at t predict pixel t, exactly as PixelRNN's steps.

Options beside GPT-2's shape, each measured in benchmarks/autoregressive_table.py:
  position  "absolute" (GPT-2's: one learned vector per position) or "2d" (row + column: the
            frame's geometry, which "absolute" must learn position by position);
  context   which earlier pixels a position reads, as PixelRNN's (autoregressive.CONTEXTS);
  copy      PixelRNN's copy head (autoregressive.CopyHead): a bonus for the colours this
            sprite already used;
  mirror    training sprites flipped left-right at random.

Drawing and completing keep a KV cache (each layer's keys and values of the pixels so far),
so each new pixel costs one position's work, never a re-run of the prefix; the sampler in
studio/models/completion.py drives it through the same stepping interface as PixelRNN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from studio.models import check_sizes
from studio.models.autoregressive import CONTEXTS, POSITIONS, CopyHead, RasterInput, RasterNet, RasterTask, \
    check_choice


@dataclass(frozen=True)
class Config:
    n_layer: int = 2
    n_head: int = 2
    n_embd: int = 64
    dropout: float = 0.1  # GPT-2's, on the embeddings and residual branches
    position: str = "absolute"  # "absolute" or "2d": see POSITIONS
    context: str = "previous"  # which earlier pixels a position reads: see CONTEXTS
    copy: bool = False  # favour the colours this sprite has already used: see autoregressive.CopyHead
    mirror: bool = False  # flip training sprites left-right at random
    lr: float = 1e-3
    weight_decay: float = 0.1  # AdamW's, on the weight matrices only (as nanoGPT)
    grad_clip: float = 1.0

    def __post_init__(self):
        check_sizes(self, "n_layer", "n_head", "n_embd")
        check_choice("transformer context", self.context, CONTEXTS)
        check_choice("transformer position", self.position, POSITIONS)
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd ({self.n_embd}) must be a multiple of n_head ({self.n_head})")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")


DEFAULT_EPOCHS = 50

CONFIGS = {
    # The default: hw4's shape with PixelRNN 2d-copy's inputs and regularisers — the pixels
    # above as input tokens, a row + column position embedding, the copy head, mirrored
    # sprites, dropout — and a larger step: 1.965 held-out bits/px after 6 CPU-minutes, and
    # still improving (benchmarks/autoregressive_table.py).
    "2d-copy": Config(position="2d", context="2d", copy=True, mirror=True, lr=2e-3),
    # 2d-copy without mirror and dropout, stopped after 2 CPU-minutes: it learns fastest and
    # overfits after 1.5 (1.953 bits/px there), so a longer run only costs time.
    "quick": Config(position="2d", context="2d", copy=True, dropout=0.0, lr=2e-3),
    # NTU ML 2025/2026 HW4's sample: GPT-2 with n_embd 64, 2 heads, 2 layers, 400 positions,
    # AdamW lr 1e-3, weight decay 0.1, batch 16, 50 epochs.
    "hw4": Config(),
}
PRESET_SETTINGS = {"2d-copy": {"batch_size": 16}, "quick": {"batch_size": 16, "cpu_budget": 120},
                   "hw4": {"epochs": 50, "batch_size": 16}}


class CausalSelfAttention(nn.Module):
    def __init__(self, config: Config):
        super().__init__()
        self.n_head = config.n_head
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd)  # query, key, value of every head at once
        self.c_proj = nn.Linear(config.n_embd, config.n_embd)
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, cache: tuple[torch.Tensor, torch.Tensor], start: int) -> torch.Tensor:
        """x [B, T, C] of positions ``start … start+T-1``; ``cache`` = (keys, values), each
        [B, n_head, H·W, C/n_head], filled for positions < start: this call writes its own."""
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(c, dim=2)
        q, k, v = (z.view(b, t, self.n_head, c // self.n_head).transpose(1, 2) for z in (q, k, v))
        keys, values = cache
        keys[:, :, start:start + t], values[:, :, start:start + t] = k, v
        # No dropout on the attention weights (GPT-2 has it): on a CPU its random mask over
        # B·heads·T² weights cost a third of a training step; the residual dropout stays.
        if start == 0:  # the whole prefix is in this call: the plain causal mask
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:  # attend to the cached positions too; query i is position start+i, sees keys ≤ it
            mask = None if t == 1 else torch.ones(t, start + t, dtype=torch.bool, device=x.device).tril(start)
            y = F.scaled_dot_product_attention(q, keys[:, :, :start + t], values[:, :, :start + t], attn_mask=mask)
        y = y.transpose(1, 2).reshape(b, t, c)  # the heads side by side again
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self, config: Config):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd)
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.c_proj(F.gelu(self.c_fc(x), approximate="tanh")))  # GPT-2's gelu


class Block(nn.Module):
    """Pre-norm: x + attn(ln(x)), then x + mlp(ln(x)) — the residual stream is never normalised.
    ``attention``: the attention's class (the diffusion model's reads in both directions); what
    ``forward`` gets after x goes to it (here the KV cache and the first position)."""

    def __init__(self, config: Config, attention: type[nn.Module] = CausalSelfAttention):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd)
        self.attn = attention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor, *attention_args) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x), *attention_args)
        return x + self.mlp(self.ln_2(x))


class Transformer(RasterNet):
    """Colour indices in raster order → next-pixel logits, the KV cache carried outside."""

    def __init__(self, config: Config, num_colors: int, size: tuple[int, int]):
        super().__init__()
        self.config, self.num_colors, self.size = config, num_colors, tuple(size)
        self.input = RasterInput(num_colors, size, config.context, config.n_embd, config.position)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd)
        if config.copy:
            self.copy_head = CopyHead(num_colors, self.input.num_neighbours, config.n_embd, config.n_embd)
        self.steps = 0
        self.apply(_init_weights)
        for name, p in self.named_parameters():  # GPT-2: residual projections scaled by 1/√(2·layers)
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * config.n_layer))

    def head(self, out: torch.Tensor) -> torch.Tensor:
        """Weight tying: the output layer is the embedding of the previous pixel's colours (the
        first K rows of the token table), as GPT-2's lm_head is its wte."""
        return F.linear(out, self.input.embed.weight[:self.num_colors])

    def empty_cache(self, batch: int, device, dtype) -> tuple[torch.Tensor, torch.Tensor]:
        """Keys and values of every layer for all H·W positions, [layers, B, heads, H·W, C/heads]."""
        c = self.config
        shape = (c.n_layer, batch, c.n_head, self.num_pixels, c.n_embd // c.n_head)
        return torch.zeros(shape, device=device, dtype=dtype), torch.zeros(shape, device=device, dtype=dtype)

    def forward(self, tokens: torch.Tensor, start: int = 0, state=None):
        """Tokens [B, T, J] of positions ``start … start+T-1`` → (logits [B, T, K], state).

        The state is the KV cache (keys, values), and with ``copy`` also the colours used so
        far [1, B, K]: every part has the batch in dimension 1, as PixelRNN's. A call with
        ``start`` > 0 needs the state of the calls before it."""
        return self._run(self.input(tokens, start), tokens, start, state)

    def _run(self, x: torch.Tensor, tokens: torch.Tensor, start: int, state):
        """``forward`` from the input embeddings x [B, T, C] on."""
        if state is None and start > 0:
            raise ValueError(f"position {start} needs the KV cache of positions 0…{start - 1}")
        used = None if state is None or not self.config.copy else state[2][0]
        if self.config.copy:
            used = self.copy_head.used_colours(tokens, used)
            x = x + self.copy_head.used_embed(used)
        x = self.drop(x)
        keys, values = self.empty_cache(len(x), x.device, x.dtype) if state is None else state[:2]
        for layer, block in enumerate(self.blocks):
            x = block(x, (keys[layer], values[layer]), start)
        self.steps += tokens.shape[1]
        out = self.ln_f(x)
        logits = self.head(out)
        if not self.config.copy:
            return logits, (keys, values)
        return self.copy_head(logits, out, tokens, used), (keys, values, used[:, -1][None])

    # --- one step at a time, for sampling -----------------------------------------------------
    def step_tables(self) -> torch.Tensor:
        """Every position's embedding (the KV cache is what makes a step cheap; this only saves
        a few small operations per call)."""
        return self.input.position_table()

    def reorder(self, state, keep, filled):
        """Only the filled positions of the KV cache move (later ones are written before they
        are read): a resampling after half the sprite then costs a quarter of copying it all."""
        moved = []
        for cache in state[:2]:
            new = torch.empty_like(cache)
            torch.index_select(cache[:, :, :, :filled], 1, keep, out=new[:, :, :, :filled])
            moved.append(new)
        return (*moved, *(s[:, keep] for s in state[2:]))

    def step(self, tokens: torch.Tensor, t: int, state, tables):
        """A few positions: tokens [B, T, J] of positions ``t … t+T-1`` → (logits [B, T, K], state);
        the same numbers as ``forward`` on them."""
        return self._run(self.input(tokens, t, tables), tokens, t, state)


def _init_weights(module: nn.Module) -> None:
    if isinstance(module, (nn.Linear, nn.Embedding)):  # GPT-2's N(0, 0.02)
        nn.init.normal_(module.weight, 0.0, 0.02)
        if getattr(module, "bias", None) is not None:
            nn.init.zeros_(module.bias)


class Task(RasterTask):
    """What the engine trains: one transformer, AdamW, maximum likelihood with teacher forcing."""

    Net = Transformer

    def make_optimizer(self) -> torch.optim.Optimizer:
        return adamw(self.net, self.config.lr, self.config.weight_decay, self.device)

    @torch.no_grad()
    def attention(self, sprites: torch.Tensor) -> torch.Tensor:
        """Where each pixel's prediction looks: every layer's and head's attention weights over
        the earlier pixels, sprites [B, H, W] → [B, layers, heads, H·W, H·W + 1] (eval mode).

        Row t (the query predicting pixel t) sums to 1 over columns 0 … t-1 (the pixels before
        it) and the last column, START. Position s's input is pixel s-1's colour (START at s = 0),
        so the weight on key s is shown on pixel s-1: the pixel that position reads (with the
        "2d" context it also reads the pixels above it, so the weight is that neighbourhood's)."""
        was_training = self.net.training
        self.net.eval()
        try:
            weights = attention_weights(self.net, sprites.to(self.device).long())
        finally:
            self.net.train(was_training)
        hw = self.net.num_pixels
        on_pixels = weights.new_zeros(*weights.shape[:-1], hw + 1)
        on_pixels[..., :hw - 1] = weights[..., 1:]  # key s → pixel s-1
        on_pixels[..., hw] = weights[..., 0]  # key 0 reads START
        return on_pixels


def attention_weights(net: Transformer, sprites: torch.Tensor) -> torch.Tensor:
    """softmax(q·kᵀ/√d) of every layer and head over positions, [B, layers, heads, H·W, H·W],
    causal (zero above the diagonal), for whole sprites [B, H, W]: the numbers the network's
    scaled_dot_product_attention multiplies the values by, recomputed from each block's input
    (captured by a hook, so the network's own forward runs unchanged)."""
    canvas = sprites.reshape(len(sprites), -1)
    inputs = []
    hooks = [block.attn.register_forward_pre_hook(lambda module, args: inputs.append((module, args[0])))
             for block in net.blocks]
    try:
        net(net.context(net.pad(canvas), 0, net.num_pixels))
    finally:
        for hook in hooks:
            hook.remove()
    layers = []
    for attn, x in inputs:
        b, t, c = x.shape
        q, k, _ = attn.c_attn(x).split(c, dim=2)
        q, k = (z.view(b, t, attn.n_head, c // attn.n_head).transpose(1, 2) for z in (q, k))
        scores = q @ k.transpose(-2, -1) / math.sqrt(c // attn.n_head)
        causal = torch.ones(t, t, dtype=torch.bool, device=x.device).tril()
        layers.append(scores.float().masked_fill(~causal, -math.inf).softmax(-1))
    return torch.stack(layers, 1)


def adamw(net: nn.Module, lr: float, weight_decay: float, device: torch.device) -> torch.optim.Optimizer:
    """As nanoGPT: weight decay on the matrices that multiply (linear weights, embeddings),
    none on biases and layer-norm gains."""
    params = [p for p in net.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, fused=device.type == "cuda")
