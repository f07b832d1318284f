"""M same-shape GPTs as one program: every weight has a leading model axis (M, ...).

The forward is the math of worker.model.GPT written for stacked weights: linears are batched
matmuls over the model axis, and attention folds the model axis into SDPA's batch axis, so the
fused attention kernel still applies. Parameter names match GPT's state_dict, so a model is
moved in and out of the stack with `stack_state` / `unstack_state`.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from memdash.worker.fused_ce import tied_head_cross_entropy
from memdash.worker.memory import identity_rows, memory_scan
from memdash.worker.model import GPT, GPTConfig, attention_mask


def stack_state(models: list[GPT]) -> dict[str, Tensor]:
    """Leaf tensors (M, ...) that require grad, one per GPT parameter name."""
    states = [m.state_dict() for m in models]
    return {
        name: torch.stack([s[name] for s in states]).detach().clone().requires_grad_(True)
        for name in states[0]
    }


def unstack_state(params: dict[str, Tensor], index: int) -> dict[str, Tensor]:
    return {name: value[index].detach().clone() for name, value in params.items()}


def _linear(x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    """x (M, N, in) @ weightᵀ (M, out, in) + bias (M, out) -> (M, N, out)."""
    return torch.baddbmm(bias.unsqueeze(1), x, weight.transpose(1, 2))


def _layer_norm(x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    """x (M, N, C) normalized over C, with per-model affine (M, C)."""
    normed = F.layer_norm(x, x.shape[-1:], eps=1e-5)
    return torch.addcmul(bias.unsqueeze(1), normed, weight.unsqueeze(1))


def stacked_logits(params: dict[str, Tensor], config: GPTConfig, idx: Tensor) -> Tensor:
    """idx (M, B, T) token ids -> logits (M, B, T, V), each model on its own batch."""
    M, B, T = idx.shape
    hidden = stacked_hidden(params, config, idx)  # (M, B*T, C)
    return torch.bmm(hidden, params["wte.weight"].transpose(1, 2)).view(M, B, T, -1)


def stacked_hidden(params: dict[str, Tensor], config: GPTConfig, idx: Tensor) -> Tensor:
    """idx (M, B, T) -> final LayerNorm output (M, B*T, C)."""
    M, B, T = idx.shape
    C, H = config.d_model, config.heads
    wte = params["wte.weight"]  # (M, V, C)
    x = torch.gather(wte, 1, idx.reshape(M, B * T, 1).expand(-1, -1, C))  # (M, B*T, C)
    x = (x.view(M, B, T, C) + params["wpe.weight"][:, None, :T]).view(M, B * T, C)
    bank = None  # LM2 (worker/memory.py): the initial bank every memory block starts from
    window = config.attention_window
    mask = attention_mask(T, T, window, x.device) if window else None
    if config.memory_slots:
        bank = params.get("memory")
        if bank is None:  # fixed identity rows, not a parameter
            bank = identity_rows(config.memory_slots, C).to(x)[None].expand(M, -1, -1)
    for i in range(config.n_layer):
        p = f"blocks.{i}."
        h = _layer_norm(x, params[p + "ln_1.weight"], params[p + "ln_1.bias"])
        qkv = _linear(h, params[p + "attn.c_attn.weight"], params[p + "attn.c_attn.bias"])
        q, k, v = (
            t.reshape(M * B, T, H, C // H).transpose(1, 2) for t in qkv.split(C, dim=2)
        )  # (M*B, H, T, Dh)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=mask is None)
        y = y.transpose(1, 2).reshape(M, B * T, C)
        x = x + _linear(y, params[p + "attn.c_proj.weight"], params[p + "attn.c_proj.bias"])
        if i < config.memory_layers and bank is not None:
            weights = {k[len(p) + 7 :]: v for k, v in params.items() if k.startswith(p + "memory.")}
            out, _ = memory_scan(
                h.view(M, B, T, C), x.view(M, B, T, C), bank, weights, config.memory_head_count
            )
            x = out.view(M, B * T, C)
        h = _layer_norm(x, params[p + "ln_2.weight"], params[p + "ln_2.bias"])
        h = F.gelu(
            _linear(h, params[p + "mlp.c_fc.weight"], params[p + "mlp.c_fc.bias"]),
            approximate="tanh",
        )
        x = x + _linear(h, params[p + "mlp.c_proj.weight"], params[p + "mlp.c_proj.bias"])
    return _layer_norm(x, params["ln_f.weight"], params["ln_f.bias"])


def stacked_losses(params: dict[str, Tensor], config: GPTConfig, batch: Tensor) -> Tensor:
    """Per-model mean next-token cross-entropy (nats), shape (M,), for batch (M, B, S); PAD
    (negative) positions are neither inputs that matter (right padding) nor targets."""
    hidden = stacked_hidden(params, config, batch[:, :, :-1].clamp(min=0))
    targets = batch[:, :, 1:].reshape(batch.shape[0], -1)
    return tied_head_cross_entropy(hidden, params["wte.weight"], targets)


def check_equivalent(model: GPT) -> float:
    """Max |logit difference| between GPT and the stacked forward (for tests)."""
    idx = torch.randint(0, model.config.vocab_size, (2, min(8, model.config.seq_len)))
    params = stack_state([model])
    with torch.no_grad():
        expected = model(idx)[0]
        got = stacked_logits(params, model.config, idx[None])[0]
    return float((expected - got).abs().max()) if math.isfinite(float(got.sum())) else math.inf
