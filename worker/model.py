"""A GPT-2-shaped language model in nanoGPT style (SPEC 3's parameter count, exactly).

Pre-LayerNorm blocks, learned positions (n_positions = seq_len), GELU (tanh) MLP ×4, biases
everywhere, tied input/output embeddings, no dropout (capacity runs train to saturation). Its
parameter count is V·d + S·d + L·(12·d² + 13·d) + 2·d. With `memory_slots` > 0 it is an LM2:
the first `memory_blocks` blocks (0: all) carry the memory module of worker/memory.py, and the
count grows by `lm2_memory_param_count`; zero slots is exactly the plain GPT. `forward(idx)`
returns `(logits, cache)`; a KV cache (with each memory block's bank) makes greedy decoding
O(1) per new token. `attention_window` > 0 limits self-attention to the last that many
positions (the recall task of bench/lm2_recall.py, where only a memory can carry a value far).
`worker.hf_export.to_hf_gpt2` exports a plain one as a transformers GPT2LMHeadModel.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from memdash.core.params import Shape, head_count
from memdash.worker.fused_ce import tied_head_cross_entropy
from memdash.worker.memory import MemoryModule, identity_rows, memory_scan

# Per layer: keys and values (B, H, T, Dh), and the memory bank after the last position
# (B, N, C) for a block with memory, else None.
LayerCache = tuple[Tensor, Tensor, Tensor | None]
KVCache = list[LayerCache]


@dataclass(frozen=True)
class GPTConfig:
    vocab_size: int = 2048
    seq_len: int = 64  # n_positions: the longest sequence the model sees
    n_layer: int = 1
    d_model: int = 32
    n_head: int = 0  # 0: one head per 32 channels (at least one)
    # LM2 (worker/memory.py): slots of the memory bank (0: a plain GPT), how many blocks from
    # the first carry memory (0: all), and whether the initial bank is learned (then counted as
    # parameters) or fixed identity rows.
    memory_slots: int = 0
    memory_blocks: int = 0
    memory_learned: bool = True
    memory_heads: int = 0  # heads of the memory read; 0: as many as the self-attention's
    attention_window: int = 0  # self-attention sees the last this many positions; 0: all

    def __post_init__(self) -> None:
        if min(self.vocab_size, self.seq_len, self.n_layer, self.d_model) < 1:
            raise ValueError("vocab_size, seq_len, n_layer and d_model must be positive")
        if self.d_model % self.heads:
            raise ValueError(f"d_model={self.d_model} is not divisible by n_head={self.heads}")
        if self.memory_slots < 0 or not 0 <= self.memory_blocks <= self.n_layer:
            raise ValueError("memory_slots must be ≥ 0 and memory_blocks between 0 and n_layer")
        if self.memory_heads < 0 or self.d_model % self.memory_head_count:
            raise ValueError(f"d_model={self.d_model} is not divisible by memory_heads")
        if self.attention_window < 0:
            raise ValueError("attention_window must be ≥ 0 (0: every earlier position)")

    @classmethod
    def of(
        cls, shape: Shape, vocab_size: int, seq_len: int, attention_window: int = 0
    ) -> GPTConfig:
        """The engine's config of a model shape (core.params.Shape, defined once there): its
        fields plus the vocabulary, the length and the engine's own options."""
        fields = shape.model_dump(include=set(Shape.model_fields))
        return cls(
            vocab_size=vocab_size, seq_len=seq_len, attention_window=attention_window, **fields
        )

    @property
    def memory_head_count(self) -> int:
        return self.memory_heads or self.heads

    @property
    def memory_layers(self) -> int:
        """Blocks that carry memory (the first ones)."""
        return (self.memory_blocks or self.n_layer) if self.memory_slots else 0

    @property
    def heads(self) -> int:
        return self.n_head or head_count(self.d_model)

    def to_dict(self) -> dict[str, int]:
        """The fields, without an unset attention window (configs and resume fingerprints
        written before it existed stay the same)."""
        fields = asdict(self)
        if not self.attention_window:
            del fields["attention_window"]
        return fields


class CausalSelfAttention(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.n_head = config.heads
        self.window = config.attention_window
        self.c_attn = nn.Linear(config.d_model, 3 * config.d_model)
        self.c_proj = nn.Linear(config.d_model, config.d_model)

    def forward(self, x: Tensor, cache: tuple[Tensor, Tensor] | None) -> tuple[Tensor, tuple]:
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        if cache is not None:  # new tokens attend to all cached ones: no mask needed among them
            k = torch.cat([cache[0], k], dim=2)
            v = torch.cat([cache[1], v], dim=2)
        if cache is None and not self.window:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        elif T == 1 and not self.window:  # one new token sees every cached one: no mask
            y = F.scaled_dot_product_attention(q, k, v)
        else:  # with a cache of length P the mask is offset by P
            mask = attention_mask(T, k.shape[2], self.window, x.device)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y), (k, v)


def attention_mask(n_new: int, n_total: int, window: int, device: torch.device) -> Tensor:
    """(T, P+T) True where new position P+i may attend: causal, and within the last `window`
    positions (itself included) when window > 0."""
    rows = torch.arange(n_new, device=device)[:, None] + (n_total - n_new)
    columns = torch.arange(n_total, device=device)[None, :]
    allowed = columns <= rows
    return allowed & (columns > rows - window) if window else allowed


class MLP(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.c_fc = nn.Linear(config.d_model, 4 * config.d_model)
        self.c_proj = nn.Linear(4 * config.d_model, config.d_model)

    def forward(self, x: Tensor) -> Tensor:
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, config: GPTConfig, index: int = 0) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.d_model)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.d_model)
        self.mlp = MLP(config)
        self.memory_heads = config.memory_head_count
        if index < config.memory_layers:
            self.memory = MemoryModule(config.d_model)

    def forward(
        self, x: Tensor, cache: LayerCache | None, initial_bank: Tensor | None = None
    ) -> tuple[Tensor, LayerCache]:
        """The block's output and its cache. A block with memory continues its bank from the
        cache, or starts from `initial_bank` (worker/memory.py: causal across positions)."""
        normed = self.ln_1(x)
        attended, (keys, values) = self.attn(normed, None if cache is None else cache[:2])
        x = x + attended
        bank = None
        if hasattr(self, "memory") and initial_bank is not None:
            start = initial_bank[None] if cache is None else cache[2][None]  # type: ignore[index]
            out, bank = memory_scan(
                normed[None], x[None], start, self.memory.stacked_weights(), self.memory_heads
            )
            x, bank = out[0], bank[0]
        return x + self.mlp(self.ln_2(x)), (keys, values, bank)


class GPT(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.d_model)
        self.wpe = nn.Embedding(config.seq_len, config.d_model)
        self.blocks = nn.ModuleList(Block(config, i) for i in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.d_model)
        self.apply(self._init_weights)
        if config.memory_slots and config.memory_learned:  # the initial bank, a parameter
            self.memory = nn.Parameter(identity_rows(config.memory_slots, config.d_model))
        # GPT-2's scaled init of residual projections.
        for name, param in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(param, 0.0, 0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, 0.0, 0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, 0.0, 0.02)

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def n_memory_params(self) -> int:
        """Parameters of the LM2 memory module: the initial bank (when learned) and every
        block's memory weights (`lm2_memory_param_count`)."""
        return sum(p.numel() for n, p in self.named_parameters() if is_memory_param(n))

    def initial_memory(self, device: torch.device) -> Tensor | None:
        """The bank the first memory block reads: learned, or fixed identity rows."""
        if not self.config.memory_slots:
            return None
        if self.config.memory_learned:
            return self.memory
        return identity_rows(self.config.memory_slots, self.config.d_model).to(device)

    def forward(self, idx: Tensor, cache: KVCache | None = None) -> tuple[Tensor, KVCache]:
        """Logits (B, T, V) for token ids `idx` (B, T), and the KV cache."""
        return self.forward_cached(idx, cache)

    def training_loss(self, idx: Tensor, targets: Tensor) -> Tensor:
        """Mean next-token NLL (nats) without materializing all logits (see fused_ce.py): the
        training loss, the same function the stacked trainer uses (scoring uses
        worker.inference.token_nll_bits, per-token bits for any causal LM)."""
        hidden, _ = self.hidden_states(idx, None)  # (B, T, C)
        return tied_head_cross_entropy(
            hidden.reshape(1, -1, hidden.shape[-1]), self.wte.weight[None], targets.reshape(1, -1)
        )[0]

    def forward_cached(self, idx: Tensor, cache: KVCache | None) -> tuple[Tensor, KVCache]:
        """Logits (B, T, V) for new tokens `idx` after the cached ones, and the grown cache."""
        hidden, new_cache = self.hidden_states(idx, cache)
        return F.linear(hidden, self.wte.weight), new_cache  # tied output embedding, (B, T, V)

    def hidden_states(self, idx: Tensor, cache: KVCache | None) -> tuple[Tensor, KVCache]:
        """Final LayerNorm output (B, T, C) for `idx` after the cached tokens."""
        past = 0 if cache is None else cache[0][0].shape[2]
        T = idx.shape[1]
        if past + T > self.config.seq_len:
            raise ValueError(f"sequence of {past + T} tokens exceeds seq_len={self.config.seq_len}")
        positions = torch.arange(past, past + T, device=idx.device)
        x = self.wte(idx) + self.wpe(positions)  # (B, T, C)
        new_cache: KVCache = []
        bank = self.initial_memory(idx.device)  # afresh for every sequence (a cache continues it)
        for i, block in enumerate(self.blocks):
            x, layer_cache = block(x, None if cache is None else cache[i], bank)
            new_cache.append(layer_cache)
        return self.ln_f(x), new_cache


@torch.no_grad()
def decode_piecewise(model: GPT, idx: Tensor, prompt_len: int) -> Tensor:
    """Logits of `idx` computed as greedy decoding does: the prompt at once, then one token at
    a time through the KV cache (each memory block's bank carried in it). For tests against
    the full forward."""
    logits, cache = model.forward_cached(idx[:, :prompt_len], None)
    pieces = [logits]
    for t in range(prompt_len, idx.shape[1]):
        logits, cache = model.forward_cached(idx[:, t : t + 1], cache)
        pieces.append(logits)
    return torch.cat(pieces, dim=1)


def is_memory_param(name: str) -> bool:
    """A state_dict name of the LM2 memory module ("memory", "blocks.<i>.memory.<...>")."""
    return name == "memory" or ".memory." in name
