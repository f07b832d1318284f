"""The LM2 memory module (Kang et al. 2025, "LM2: Large Memory Models"; SPEC 8), written causally.

A bank of N slots × d starts as identity rows (slot j = e_{j mod d}; learned, or fixed) and is
carried from block to block. A block with memory reads it by multi-head cross-attention from
its LayerNormed input E and adds the read through an output gate; every such block but the last
also writes the memory the next block reads:

    Q = E·W_Q,  K = M·W_K,  V = M·W_V,  E_mem = softmax(Q·Kᵀ / √d_head)·V
    E_out  = E_attn + σ(E_mem·W_out + b_out) ⊙ E_mem
    g_in   = σ(E·W_in + b_in),   g_forget = σ(E_mem·W_forget + b_forget)
    M'[j]  = g_in ⊙ tanh(E_mem) + g_forget ⊙ M[j]          (every slot j)

Causality, the choice memdash makes (docs/measures.md, "LM2 memory module"): the paper's code
pools the write over all positions of a sequence to the slot count, so in later blocks an early
position reads what later tokens wrote, a leak of the future that lets a model "predict" tokens
it has seen in the same forward pass and would inflate measured memorization. Here the write is
per position: position t's memory in block l+1 holds what position t (which has attended to
positions ≤ t) wrote in block l, so no position sees a later one. The memory starts afresh for
every sequence (nothing carried from one forward call to the next: training data stored in a
state outside the parameters would not be counted). The last memory block's write would be read
by nobody, so it has no input or forget gate (parameters that cannot change the output are not
counted as capacity).

Every position's bank is kept in closed form, exactly. The write adds the same vector to every
slot, so after any number of writes a position's bank is M[j] = c + G ⊙ M0[j]: one common
vector c and one scale G (the product of the forget gates so far) per position, over the shared
initial bank M0. The read needs no per-position bank either: K_j = c·W_Kᵀ + (G ⊙ M0[j])·W_Kᵀ,
and the c term adds the same score to every slot (softmax ignores it), so the scores are
((Q_h·W_K,h) ⊙ G)·M0[j] and the read is c·W_Vᵀ + (G ⊙ Σ_j a_j·M0[j])·W_Vᵀ per head h. That
costs two d×d products per position instead of 2·N (tests check it against the equations
written out slot by slot). It also shows what SPEC's write can store: per position one
d-vector and one gate vector, the slots differing only through M0.

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


MemoryState = tuple[Tensor, Tensor]  # per position: the common vector c and scale G, (M, R, C)


def memory_step(
    normed: Tensor,
    stream: Tensor,
    bank: Tensor,
    state: MemoryState | None,
    weights: dict[str, Tensor],
    heads: int,
) -> tuple[Tensor, MemoryState | None]:
    """One block's read (and write, when `weights` has the gates) of the memory.

    normed: the block's LayerNormed input E, (M, R, C) with R = batch × positions;
    stream: the residual stream after self-attention E_attn, (M, R, C);
    bank: the initial bank M0, (M, N, C); state: (c, G) of each position's bank
    M[j] = c + G ⊙ M0[j], or None before the first write (the bank is M0 itself);
    weights: "q", "k", "v", "out" (and "in", "forget") weights (M, C, C), "out" (and "in",
    "forget") biases (M, C), keyed "<name>.weight" / "<name>.bias".
    Returns E_out (M, R, C) and the state after the write, or None without gates.
    """
    M, R, C = normed.shape
    d_head = C // heads
    w_k = weights["k.weight"].view(M, heads, d_head, C)
    w_v = weights["v.weight"].view(M, heads, d_head, C)
    q = _bmm(normed, weights["q.weight"]).view(M, R, heads, d_head)
    keys_of_q = torch.einsum("mrhd,mhdc->mrhc", q, w_k)  # Q_h·W_K,h: scores are this · M[j]
    if state is not None:
        keys_of_q = keys_of_q * state[1].unsqueeze(2)  # ⊙ G (c's score is the same for every j)
    scores = torch.einsum("mrhc,mnc->mrhn", keys_of_q, bank) / math.sqrt(d_head)
    mixed = torch.einsum("mrhn,mnc->mrhc", scores.softmax(-1), bank)  # Σ_j a_j·M0[j]
    if state is not None:
        mixed = mixed * state[1].unsqueeze(2)
    read = torch.einsum("mrhc,mhdc->mrhd", mixed, w_v).reshape(M, R, C)  # E_mem
    if state is not None:
        read = read + _bmm(state[0], weights["v.weight"])  # Σ_j a_j = 1: c·W_Vᵀ once
    out = stream + torch.sigmoid(_bmm(read, weights["out.weight"], weights["out.bias"])) * read
    if "in.weight" not in weights:
        return out, None
    g_in = torch.sigmoid(_bmm(normed, weights["in.weight"], weights["in.bias"]))
    g_forget = torch.sigmoid(_bmm(read, weights["forget.weight"], weights["forget.bias"]))
    added = g_in * torch.tanh(read)  # M'[j] = added + g_forget ⊙ (c + G ⊙ M0[j])
    if state is None:
        return out, (added, g_forget)
    return out, (added + g_forget * state[0], g_forget * state[1])


class MemoryModule(nn.Module):
    """One block's memory weights: the read (W_Q, W_K, W_V without bias, the output gate with
    one) and, when `writes`, the input and forget gates: 4d² + d, or 6d² + 3d parameters."""

    def __init__(self, d_model: int, writes: bool) -> None:
        super().__init__()
        self.q = nn.Linear(d_model, d_model, bias=False)
        self.k = nn.Linear(d_model, d_model, bias=False)
        self.v = nn.Linear(d_model, d_model, bias=False)
        self.out = nn.Linear(d_model, d_model)
        if writes:
            self.__setattr__("in", nn.Linear(d_model, d_model))  # "in" is a keyword
            self.forget = nn.Linear(d_model, d_model)

    def stacked_weights(self) -> dict[str, Tensor]:
        """This module's weights with a model axis of 1, for `memory_step`."""
        return {name: value.unsqueeze(0) for name, value in self.named_parameters()}
