"""The LM2 memory module (Kang et al. 2025, "LM2: Large Memory Models"; SPEC 8), causal across
positions, with slots that can hold different things.

Every block with memory carries its own bank along the sequence. The bank M_t read at position t
holds exactly what positions 1..t−1 wrote; M_1 is the initial bank M0 (N slots × d: identity
rows, slot j = e_{j mod d}, learned or fixed, shared by the memory blocks). At position t, from
the block's LayerNormed input E_t and its residual stream after self-attention:

    read     a_t[h, j] = softmax_j(Q_t,h · K_t,h[j] / √d_head),  Q = E·W_Q, K = M_t·W_K, V = M_t·W_V
             E_mem_t   = concat_h Σ_j a_t[h, j] · V_t,h[j]
    output   E_out_t   = E_attn_t + σ(E_mem_t·W_out + b_out) ⊙ E_mem_t
    write    g_in = σ(E_t·W_in + b_in),  g_forget = σ(E_mem_t·W_forget + b_forget)
             w_t[j] = mean_h a_t[h, j]                       (the address: where it read)
             M_{t+1}[j] = M_t[j] + w_t[j] · (g_in ⊙ tanh(E_mem_t) + (g_forget − 1) ⊙ M_t[j])

so a slot the read did not touch (w = 0) keeps its content, and a slot it read with all its
weight (w = 1) takes the paper's update M' = g_in ⊙ tanh(E_mem) + g_forget ⊙ M exactly. This is
the Neural Turing Machine's erase-and-add write (erase vector 1 − g_forget, add vector
g_in ⊙ tanh(E_mem)) addressed by LM2's own read. Departures from the paper, and why
(docs/measures.md, "LM2 memory module"):

- **Causal.** The paper's code pools the write over all positions of a sequence, so an early
  position reads what later tokens wrote within one forward pass: a leak of the future that a
  memorization measure would count as memorization. Here information flows forward only.
- **Addressed.** The paper's update adds one vector to every slot, so N slots hold one thing;
  weighting it by the read's attention lets slots differ.
- **Fresh per sequence.** Nothing survives from one forward call to the next (data stored in a
  state outside the parameters would not be counted as capacity).

The read at t depends on M_t, which depends on the reads before t through the gates: the
recurrence is not linear, so no closed form or chunked parallel form exists for it, and
`memory_scan` runs it as a scan over positions. Everything that does not depend on the bank
(the queries folded with W_K, the input gate) is computed for all positions at once first, and
the output gate after the scan; inside the loop, per position, are the read (two products with
the bank, one with W_V), the forget gate and the write. A KV-cached decode carries each block's
bank (B, N, d) and continues the same scan from it.

Shapes are stacked (a leading model axis M, as in worker.stacked_model); a single GPT calls the
same function with M = 1, so the math exists once.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


def identity_rows(n_slots: int, d_model: int) -> Tensor:
    """The initial memory: slot j is the unit vector e_{j mod d} (the paper's identity init)."""
    return torch.eye(d_model)[torch.arange(n_slots) % d_model].clone()


def _bmm(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x (M, R, in) @ weightᵀ (M, out, in) [+ bias (M, out)] -> (M, R, out)."""
    if bias is None:
        return torch.bmm(x, weight.transpose(1, 2))
    return torch.baddbmm(bias.unsqueeze(1), x, weight.transpose(1, 2))


def memory_scan(
    normed: Tensor,
    stream: Tensor,
    bank: Tensor,
    weights: dict[str, Tensor],
    heads: int,
) -> tuple[Tensor, Tensor]:
    """One block's memory over T positions: reads, output gate and writes, causally.

    normed: the block's LayerNormed input E, (M, B, T, C); stream: the residual stream after
    self-attention E_attn, (M, B, T, C); bank: the bank before the first of these positions,
    (M, N, C) (the initial bank, the same for every sequence) or (M, B, N, C) (a decode cache);
    weights: "q", "k", "v", "out", "in", "forget" weights (M, C, C) and "out", "in", "forget"
    biases (M, C), keyed "<name>.weight" / "<name>.bias".
    Returns E_out (M, B, T, C) and the bank after the last position's write, (M, B, N, C).
    """
    M, B, T, C = normed.shape
    d_head = C // heads
    if bank.dim() == 3:
        bank = bank[:, None].expand(M, B, *bank.shape[1:])
    flat = normed.reshape(M, B * T, C)
    q = _bmm(flat, weights["q.weight"]).view(M, B, T, heads, d_head)
    w_k = weights["k.weight"].view(M, heads, d_head, C)
    w_v = weights["v.weight"].view(M, heads, d_head, C).transpose(-1, -2)  # (M, H, C, Dh)
    # Q_h·K_h[j] = (Q_h·W_K,h)·M[j]: the queries folded with W_K, for all positions at once.
    queries = torch.einsum("mbthd,mhdc->mbthc", q, w_k) / math.sqrt(d_head)
    g_in = torch.sigmoid(_bmm(flat, weights["in.weight"], weights["in.bias"])).view(M, B, T, C)
    w_forget, b_forget = weights["forget.weight"], weights["forget.bias"]
    reads = []
    for t in range(T):
        # Per sequence its own bank: small products, as a broadcast multiply and a sum.
        scores = (queries[:, :, t, :, None, :] * bank[:, :, None]).sum(-1)  # (M, B, H, N)
        attention = scores.softmax(-1)
        mixed = (attention[..., None] * bank[:, :, None]).sum(-2)  # Σ_j a_j·M[j], (M, B, H, C)
        # Shared weights: one product per model (and head) over all sequences.
        read = (mixed.transpose(1, 2) @ w_v).transpose(1, 2).reshape(M, B, C)  # E_mem
        g_forget = torch.sigmoid(_bmm(read, w_forget, b_forget))
        address = attention.mean(2).unsqueeze(-1)  # where it read: (M, B, N, 1)
        added = g_in[:, :, t] * torch.tanh(read)
        bank = bank + address * (added.unsqueeze(2) + (g_forget - 1).unsqueeze(2) * bank)
        reads.append(read)
    read_all = torch.stack(reads, dim=2).reshape(M, B * T, C)
    gate = torch.sigmoid(_bmm(read_all, weights["out.weight"], weights["out.bias"]))
    out = stream + (gate * read_all).view(M, B, T, C)
    return out, bank


class MemoryModule(nn.Module):
    """One block's memory weights: the read (W_Q, W_K, W_V without bias), the output gate, and
    the input and forget gates (each with a bias): 6d² + 3d parameters."""

    def __init__(self, d_model: int) -> None:
        super().__init__()
        self.q = nn.Linear(d_model, d_model, bias=False)
        self.k = nn.Linear(d_model, d_model, bias=False)
        self.v = nn.Linear(d_model, d_model, bias=False)
        self.out = nn.Linear(d_model, d_model)
        self.__setattr__("in", nn.Linear(d_model, d_model))  # "in" is a keyword
        self.forget = nn.Linear(d_model, d_model)

    def stacked_weights(self) -> dict[str, Tensor]:
        """This module's weights with a model axis of 1, for `memory_scan`."""
        return {name: value.unsqueeze(0) for name, value in self.named_parameters()}
