"""Cross-entropy through the tied output embedding, in cache-sized chunks (training speed).

The usual path materializes logits (rows × V), then log-softmax and its backward read and write
that tensor several times: at V = 2048 that is memory-bound on a CPU and dominates a tiny model's
step. Here the logits are built a chunk of rows at a time, and the chunk's gradient
(softmax − one-hot) is pushed straight into dL/dx and dL/dW while it is still in cache; nothing
of size rows × V outlives a chunk. Exact same math as F.cross_entropy (mean over rows), with
its `ignore_index` for negative targets (padding, worker/data/padding.py): a padded row adds
nothing and is not counted, so each model's loss is the mean over its real targets.
"""

from __future__ import annotations

import torch
from torch import Tensor

CHUNK_BYTES = 4 * 2**20  # a CPU's cache
# A GPU is launch-bound at cache-sized chunks (thousands of small kernels a step): there the
# chunk only bounds memory.
GPU_CHUNK_BYTES = 256 * 2**20


class _TiedHeadCrossEntropy(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, targets: Tensor) -> Tensor:
        M, N, _ = x.shape  # x (M, N, C) hidden states; weight (M, V, C); targets (M, N)
        V = weight.shape[1]
        chunk_bytes = CHUNK_BYTES if x.device.type == "cpu" else GPU_CHUNK_BYTES
        rows = max(1, chunk_bytes // (4 * M * V))
        want_grad = ctx.needs_input_grad[0] or ctx.needs_input_grad[1]
        loss = torch.zeros(M, dtype=torch.float32, device=x.device)
        valid = targets >= 0  # (M, N)
        counts = valid.sum(dim=1).clamp(min=1).float()  # (M,) real targets per model
        padded = not bool(valid.all())
        targets = targets.clamp(min=0)
        # Allocated (and filled) only when a gradient is wanted: empty otherwise.
        grad_x = torch.empty_like(x) if want_grad else x.new_empty(0)
        grad_w = torch.zeros_like(weight, dtype=torch.float32) if want_grad else x.new_empty(0)
        for start in range(0, N, rows):
            xs = x[:, start : start + rows]  # (M, r, C)
            t = targets[:, start : start + rows, None]  # (M, r, 1)
            keep = valid[:, start : start + rows, None]  # (M, r, 1)
            logits = torch.bmm(xs, weight.transpose(1, 2)).float()  # (M, r, V)
            lse = torch.logsumexp(logits, dim=-1, keepdim=True)  # (M, r, 1)
            nll = lse - logits.gather(-1, t)
            loss += (nll * keep if padded else nll).sum(dim=(1, 2))
            if want_grad:
                probs = logits.sub_(lse).exp_()  # softmax, in place
                probs.scatter_add_(-1, t, torch.full_like(lse, -1.0))  # − one-hot
                if padded:
                    probs.mul_(keep)  # a padded row has no gradient
                grad_x[:, start : start + rows] = torch.bmm(probs.to(x.dtype), weight)
                grad_w.baddbmm_(probs.transpose(1, 2), xs.float())
        if want_grad:
            ctx.save_for_backward(grad_x, grad_w, counts)
        return loss / counts

    @staticmethod
    def backward(ctx, grad_loss: Tensor) -> tuple[Tensor, Tensor, None]:
        grad_x, grad_w, counts = ctx.saved_tensors
        scale = (grad_loss / counts).view(-1, 1, 1)
        return (grad_x * scale.to(grad_x.dtype), (grad_w * scale).to(grad_x.dtype), None)


def tied_head_cross_entropy(x: Tensor, weight: Tensor, targets: Tensor) -> Tensor:
    """Per-model mean next-token NLL in nats, shape (M,).

    x (M, N, C) final hidden states, weight (M, V, C) the tied embedding, targets (M, N);
    negative targets are ignored (the mean is over the others).
    """
    return _TiedHeadCrossEntropy.apply(x, weight, targets)
