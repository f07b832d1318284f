"""Scoring any causal LM: batched per-sample NLL bits and batched greedy decoding (SPEC 1, 5).

A narrow interface (lm-evaluation-harness style): a `CausalScorer` turns token batches into
logits and can extend prompts with a KV cache. memdash's GPT and transformers checkpoints both
fit behind it. Batches are grouped by length and right-padded: with causal attention, padding
after a sequence cannot change its logits, so no attention mask is needed for scoring.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple, Protocol

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor

from memdash.core.metrics.discoverable import SAMPLING_TEMPERATURE, SAMPLING_TOP_K
from memdash.worker.model import GPT, KVCache

LOG2E = 1.0 / math.log(2.0)


BatchProgress = Callable[[int, int], None]  # (samples done, samples in all)
# Token samples: an (N, S) integer array, or ragged (one array or list of ids per sample).
TokenSamples = NDArray[np.integer] | Sequence[NDArray[np.integer] | Sequence[int]]


class CausalScorer(Protocol):
    device: torch.device
    vocab_size: int

    def logits(self, idx: Tensor) -> Tensor:
        """(B, T) token ids -> (B, T, V) next-token logits."""
        ...

    # The cache is each scorer's own (memdash's KVCache, a transformers Cache): opaque to the
    # caller, who hands back what `start` gave, hence Any.
    def start(self, idx: Tensor) -> tuple[Tensor, Any]:
        """Run a prompt: last-position logits (B, V) and a cache for `step`."""
        ...

    def step(self, idx: Tensor, cache: Any) -> tuple[Tensor, Any]:
        """Feed one token per row (B, 1): logits (B, V) and the grown cache."""
        ...


class MemdashScorer:
    """memdash's own GPT behind the scoring interface (SDPA attention, KV cache)."""

    def __init__(self, model: GPT) -> None:
        self.model = model.eval()
        self.device = next(model.parameters()).device
        self.vocab_size = model.config.vocab_size

    def logits(self, idx: Tensor) -> Tensor:
        return self.model(idx)[0]

    def start(self, idx: Tensor) -> tuple[Tensor, KVCache]:
        logits, cache = self.model.forward_cached(idx, None)
        return logits[:, -1], cache

    def step(self, idx: Tensor, cache: KVCache) -> tuple[Tensor, KVCache]:
        logits, cache = self.model.forward_cached(idx, cache)
        return logits[:, -1], cache


class HFScorer:
    """Any transformers causal LM (GPT-2, GPT-NeoX/Pythia, Llama, ...). Decoding keeps only the
    last position's logits where the model can (`logits_to_keep`: a 7B model's prompt logits
    over a 50k vocabulary would be gigabytes), and passes its KV cache by the name the installed
    transformers uses (`cache` since 5.x; `past_key_values` before)."""

    def __init__(self, model: torch.nn.Module) -> None:
        self.model = model.eval()
        self.device = next(model.parameters()).device
        config: Any = model.config  # a transformers PretrainedConfig (untyped as a Module field)
        self.vocab_size = int(config.vocab_size)
        accepted = inspect.signature(model.forward).parameters
        self._cache_name = "cache" if "cache" in accepted else "past_key_values"
        self._last_only: dict[str, int] = (
            {"logits_to_keep": 1} if "logits_to_keep" in accepted else {}
        )

    def logits(self, idx: Tensor) -> Tensor:
        return self.model(input_ids=idx, use_cache=False).logits

    def start(self, idx: Tensor) -> tuple[Tensor, object]:
        out = self.model(input_ids=idx, use_cache=True, **self._last_only)
        return out.logits[:, -1], getattr(out, self._cache_name)

    def step(self, idx: Tensor, cache: object) -> tuple[Tensor, object]:
        given = {self._cache_name: cache}
        out = self.model(input_ids=idx, use_cache=True, **given, **self._last_only)
        return out.logits[:, -1], getattr(out, self._cache_name)


# How much memory a batch's logits may take: the (B, T, V) logits in the model's precision, their
# fp32 copy and the log-sum-exp's temporary, about 12 bytes per token per vocabulary entry. On a
# GPU a quarter of the memory free when the batch is planned; on a CPU 4 GiB.
LOGIT_BYTES_PER_ENTRY = 12
CPU_LOGIT_BUDGET_BYTES = 4 << 30


def max_batch_tokens(device: torch.device, vocab_size: int) -> int:
    """The most tokens one scoring batch may hold (batch × width) so that its logits fit the
    device's memory: batches of long samples from a model with a large vocabulary shrink
    (a 7B model's 2,048-token samples go a few at a time), short ones keep the batch size."""
    if device.type == "cuda":
        free_bytes, _ = torch.cuda.mem_get_info(device)
        budget = free_bytes // 4
    else:
        budget = CPU_LOGIT_BUDGET_BYTES
    return max(1, budget // (LOGIT_BYTES_PER_ENTRY * max(1, vocab_size)))


def length_batches(
    lengths: Sequence[int], batch_size: int, max_tokens: int | None = None
) -> Iterator[list[int]]:
    """Sample indices in batches of similar length (sorted, so little padding): at most
    `batch_size` samples, and at most `max_tokens` tokens once padded to the batch's longest
    (one sample alone when even that is longer)."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batch: list[int] = []
    for i in order:
        # Sorted: the newcomer is the longest, so the padded batch is (len + 1) × lengths[i].
        if batch and (
            len(batch) == batch_size
            or (max_tokens is not None and (len(batch) + 1) * lengths[i] > max_tokens)
        ):
            yield batch
            batch = []
        batch.append(i)
    if batch:
        yield batch


def token_nll_bits(
    scorer: CausalScorer,
    samples: TokenSamples,
    batch_size: int = 64,
    on_batch: BatchProgress | None = None,
) -> list[NDArray[np.float64]]:
    """Per-sample arrays of −log2 p(x_t | x_<t) for t = 2..len (in the input order).
    `on_batch(done, total)` is called after each batch."""
    return token_nll_bits_and_zscores(scorer, samples, batch_size, on_batch, zscores=False)[0]


class TokenPass(NamedTuple):
    """Per-sample arrays over the predicted positions (position i predicts token i + 1) from one
    teacher-forced pass. Beside the NLL: Min-K%++'s z-scores, greedy's hits (the argmax is the
    token that came) and log q of the token under top-k sampling (core.metrics.discoverable:
    −inf outside the top k); the last three only when asked for."""

    nll_bits: list[NDArray[np.float64]]
    zscores: list[NDArray[np.float64]]
    greedy_hits: list[NDArray[np.bool_]]
    sample_log_q: list[NDArray[np.float64]]


@torch.inference_mode()
def token_nll_bits_and_zscores(
    scorer: CausalScorer,
    samples: TokenSamples,
    batch_size: int = 64,
    on_batch: BatchProgress | None = None,
    zscores: bool = True,
) -> TokenPass:
    """Per-sample NLL bits (as `token_nll_bits`) and, from the same forward pass (`zscores`),
    Min-K%++'s z_t = (log p(x_t) − μ_t)/σ_t over the full next-token distribution (SPEC 6;
    core.metrics.membership.next_token_zscores is the same formula in numpy), greedy's hits
    and top-k sampling's log q (SPEC 13)."""
    arrays = [np.asarray(s, dtype=np.int64) for s in samples]
    if any(a.size < 1 for a in arrays):
        raise ValueError("every sample needs at least one token")
    result: list[NDArray[np.float64]] = [np.zeros(0)] * len(arrays)
    extra = len(arrays) if zscores else 0
    z_result: list[NDArray[np.float64]] = [np.zeros(0)] * extra
    hits: list[NDArray[np.bool_]] = [np.zeros(0, dtype=bool)] * extra
    log_q: list[NDArray[np.float64]] = [np.zeros(0)] * extra
    done = 0
    budget = max_batch_tokens(scorer.device, scorer.vocab_size)
    for batch in length_batches([a.size for a in arrays], batch_size, budget):
        width = max(arrays[i].size for i in batch)
        idx = torch.zeros((len(batch), width), dtype=torch.long)
        for row, i in enumerate(batch):
            idx[row, : arrays[i].size] = torch.from_numpy(arrays[i])
        idx = idx.to(scorer.device)
        logits = scorer.logits(idx)  # in the model's own precision (docs/measures.md)
        logits = logits[:, :-1].float()
        # −log p = logsumexp − picked logit: no (B, T, V) log-softmax tensor is written.
        nats = torch.logsumexp(logits, dim=-1) - logits.gather(-1, idx[:, 1:, None]).squeeze(-1)
        bits = (nats * LOG2E).double().cpu().numpy()  # (B, T-1)
        for row, i in enumerate(batch):
            result[i] = bits[row, : arrays[i].size - 1]
            if zscores:  # one row at a time: a (T, V) log-softmax, not (B, T, V)
                n = arrays[i].size - 1
                row_logits, targets = logits[row, :n], idx[row, 1 : n + 1]
                z_result[i] = _zscores(row_logits, targets).double().cpu().numpy()
                hits[i] = (row_logits.argmax(-1) == targets).cpu().numpy()
                log_q[i] = _top_k_log_q(row_logits, targets).double().cpu().numpy()
        done += len(batch)
        if on_batch:
            on_batch(done, len(arrays))
    return TokenPass(result, z_result, hits, log_q)


def _top_k_log_q(logits: Tensor, targets: Tensor) -> Tensor:
    """(T, V) logits, (T,) targets -> (T,) log q(target) under top-k sampling at temperature T
    (core.metrics.discoverable); −inf where the target is not among the k most likely."""
    scaled = logits.float() / SAMPLING_TEMPERATURE
    k = min(SAMPLING_TOP_K, scaled.shape[-1])
    top = scaled.topk(k, dim=-1).values
    picked = scaled.gather(-1, targets[:, None]).squeeze(-1)
    inside = picked >= top[:, -1]  # ties at the k-th value count as inside
    log_q = picked - torch.logsumexp(top, dim=-1)
    return torch.where(inside, log_q, torch.full_like(log_q, -math.inf))


def _zscores(logits: Tensor, targets: Tensor) -> Tensor:
    """(T, V) logits, (T,) targets -> (T,) z_t; 0 where σ_t = 0."""
    logp = torch.log_softmax(logits.float(), dim=-1)
    probs = logp.exp()
    mean = (probs * logp).sum(-1)
    std = (probs * (logp - mean[:, None]) ** 2).sum(-1).clamp(min=0).sqrt()
    picked = logp.gather(-1, targets[:, None]).squeeze(-1)
    return torch.where(std > 0, (picked - mean) / std.clamp(min=1e-30), torch.zeros_like(std))


@torch.inference_mode()
def greedy_continuations(
    scorer: CausalScorer,
    prompts: NDArray | Tensor,  # (N, k)
    n_new: int,
    batch_size: int = 64,
    use_cache: bool = True,
    on_batch: BatchProgress | None = None,
) -> NDArray[np.int64]:
    """(N, m) greedy continuations of equal-length prompts (argmax, ties to the lowest id)."""
    prompts_t = torch.as_tensor(np.asarray(prompts), dtype=torch.long)
    if prompts_t.ndim != 2 or prompts_t.shape[1] < 1:
        raise ValueError("prompts must be an (N, k) array with k >= 1")
    out = np.zeros((prompts_t.shape[0], n_new), dtype=np.int64)
    width = prompts_t.shape[1] + n_new
    batch_size = max(
        1, min(batch_size, max_batch_tokens(scorer.device, scorer.vocab_size) // width)
    )
    for start in range(0, prompts_t.shape[0], batch_size):
        idx = prompts_t[start : start + batch_size].to(scorer.device)
        generated = _greedy_batch(scorer, idx, n_new, use_cache)
        out[start : start + idx.shape[0]] = generated.cpu().numpy()
        if on_batch:
            on_batch(start + idx.shape[0], prompts_t.shape[0])
    return out


def _greedy_batch(scorer: CausalScorer, idx: Tensor, n_new: int, use_cache: bool) -> Tensor:
    tokens = []
    if use_cache:
        logits, cache = scorer.start(idx)
        for i in range(n_new):
            next_token = logits.float().argmax(dim=-1, keepdim=True)  # (B, 1)
            tokens.append(next_token)
            if i + 1 < n_new:
                logits, cache = scorer.step(next_token, cache)
    else:
        sequence = idx
        for _ in range(n_new):
            next_token = scorer.logits(sequence)[:, -1].float().argmax(dim=-1, keepdim=True)
            tokens.append(next_token)
            sequence = torch.cat([sequence, next_token], dim=1)
    return torch.cat(tokens, dim=1)
