"""Canaries: planting them in a text sweep's training sets and measuring each one's exposure and
extractability under a model (SPEC 10; the formulas are in core/metrics/exposure.py).

A canary is one sample of its own: the filled template, tokenized whole with the run's
tokenizer (never cut, never packed with corpus text), inserted `repeats` times. Controls are
secrets of the same space that were never inserted: their exposure is the baseline (about
1.4 bits), and they must not be extractable.

Each canary has a number (filling the template's optional {n}: its own context), or, for an
uploaded model's canaries, may carry its own text with {secret} in it (issue 27: canaries written
in their own words, "Ledger 2584 of Ruth Okafor: the vault code is {secret}."): then it is
measured in that text, and the controls are measured in the same contexts, cycling through the
inserted canaries' texts. Candidates are
every secret when the space is at most `n_candidates` (exact ranks), else `n_candidates` secrets
drawn uniformly, leaving out the canaries' and controls' own; each canary is ranked against
them filled into its own context (one candidate set per distinct context). Extraction of a
secret: the canary's tokens that decode to the filled template's text before the secret are
the prompt; the rest (secret and any suffix) must be reproduced exactly by greedy decoding.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from memdash.core.canary_space import SECRET_PLACEHOLDER, CanarySpace
from memdash.core.edges import Measures, TableRow
from memdash.core.metrics.codelength import sample_code_bits
from memdash.core.metrics.discoverable import continuation_log10_p, tries_needed
from memdash.core.metrics.exposure import SecretSpace, estimate_exposure
from memdash.worker.inference import (
    CausalScorer,
    greedy_continuations,
    token_nll_bits,
    token_nll_bits_and_zscores,
)

Encode = Callable[[str], list[int]]
Decode = Callable[[list[int]], str]


@dataclass(frozen=True)
class Canary:
    secret: str
    repeats: int  # times inserted into the training data; 0 for a control
    number: int  # fills the template's {n}
    text: str | None = None  # its own words, with {secret}; None: the template

    def fill(self, spec: CanarySpace, secret: str) -> str:
        """The canary's context with `secret` in it."""
        if self.text is None:
            return spec.fill(secret, self.number)
        return self.text.replace(SECRET_PLACEHOLDER, secret)

    def prefix(self, spec: CanarySpace) -> str:
        """The text before the secret (the extraction prompt)."""
        return self.fill(spec, SECRET_PLACEHOLDER).split(SECRET_PLACEHOLDER)[0]


def space_of(spec: CanarySpace) -> SecretSpace:
    return SecretSpace(spec.alphabet, spec.secret_length)


def _new_secrets(
    space: SecretSpace, rng: np.random.Generator, n: int, taken: set[str]
) -> list[str]:
    """n distinct secrets of the space, none of them in `taken`, drawn in batches of n."""
    if space.size - len(taken) < n:
        raise ValueError(f"{n} more distinct secrets do not fit in a space of {space.size}")
    found: list[str] = []
    while len(found) < n:
        found.extend(s for s in space.draw(rng, n) if s not in taken and s not in found)
    return found[:n]


def plant(
    spec: CanarySpace, repeats: Sequence[int], per_repeat: int, n_controls: int, seed: int
) -> list[Canary]:
    """`per_repeat` distinct secrets for each repeat count, then `n_controls` controls, drawn
    deterministically from `seed` (every job of a sweep plants the same canaries)."""
    wanted = per_repeat * len(repeats) + n_controls
    secrets = _new_secrets(space_of(spec), np.random.default_rng([seed, 0xCA4A]), wanted, set())
    counts = [r for r in repeats for _ in range(per_repeat)] + [0] * n_controls
    return [
        Canary(s, r, number)
        for number, (s, r) in enumerate(zip(secrets, counts, strict=True), start=1)
    ]


def with_controls(
    spec: CanarySpace,
    inserted: Sequence[tuple[str, int, str | None]],
    n_controls: int,
    seed: int,
) -> list[Canary]:
    """An upload's canaries (secret, repeats, own text or None), numbered in order, then
    `n_controls` secrets of the space that are not among them: in the inserted canaries' own
    texts, in turn, where they have them, else in the template."""
    taken = {secret for secret, _, _ in inserted}
    rng = np.random.default_rng([seed, 0xC0DE])
    controls = _new_secrets(space_of(spec), rng, n_controls, taken)
    canaries = [Canary(s, r, i, text) for i, (s, r, text) in enumerate(inserted, start=1)]
    texts = [text for _, _, text in inserted if text is not None]
    first = len(canaries) + 1
    return canaries + [
        Canary(s, 0, first + i, texts[i % len(texts)] if texts else None)
        for i, s in enumerate(controls)
    ]


def canary_tokens(spec: CanarySpace, canaries: Sequence[Canary], encode: Encode) -> list[list[int]]:
    return [encode(c.fill(spec, c.secret)) for c in canaries]


def _prompt_length(tokens: list[int], prefix: str, decode: Decode) -> int:
    """The most leading tokens that decode to (a prefix of) the template's text before the
    secret; at least 1, and at least one token is left to reproduce."""
    best = 1
    for k in range(1, len(tokens)):
        if prefix.startswith(decode(tokens[:k])):
            best = k
        else:
            break
    return min(best, len(tokens) - 1)


def _code_bits(scorer: CausalScorer, samples: list[list[int]], vocab_size: int) -> np.ndarray:
    return np.array([sample_code_bits(a, vocab_size) for a in token_nll_bits(scorer, samples)])


def measure(
    scorer: CausalScorer,
    spec: CanarySpace,
    canaries: Sequence[Canary],
    encode: Encode,
    decode: Decode,
    vocab_size: int,
    seed: int,
) -> list[TableRow]:
    """Per canary: exposure (bits), its estimated rank and method, code length, extraction."""
    space = space_of(spec)
    own = {c.secret for c in canaries}
    exhaustive = space.size <= spec.n_candidates
    if exhaustive:
        candidates = space.all_secrets()
    else:
        rng = np.random.default_rng([seed, 0xCA1D])
        candidates = [s for s in space.draw(rng, spec.n_candidates + len(own)) if s not in own]
        candidates = candidates[: spec.n_candidates]
    by_context: dict[str, np.ndarray] = {}  # candidate code lengths per distinct context
    tokens = canary_tokens(spec, canaries, encode)
    scored = token_nll_bits_and_zscores(scorer, tokens)  # code lengths and top-k sampling's q
    bits = np.array([sample_code_bits(a, vocab_size) for a in scored.nll_bits])
    rows = []
    for canary, sample, code, log_q in zip(
        canaries, tokens, bits, scored.sample_log_q, strict=True
    ):
        context = canary.fill(spec, "\0")
        if context not in by_context:
            filled = [encode(canary.fill(spec, s)) for s in candidates]
            by_context[context] = _code_bits(scorer, filled, vocab_size)
        candidate_bits = by_context[context]
        # The same candidates either way: every secret (or a uniform sample of them) but the
        # canaries' own, so an exact and a sampled rank rank against the same set.
        others = candidate_bits
        if exhaustive:
            others = candidate_bits[[s not in own for s in candidates]]
        exposure = estimate_exposure(float(code), others, space.log2_size, exhaustive)
        k = _prompt_length(sample, canary.prefix(spec), decode)
        log10_p = continuation_log10_p(log_q, k)
        generated = greedy_continuations(scorer, np.asarray([sample[:k]]), len(sample) - k)[0]
        rows.append(
            {
                "secret": canary.secret,
                "repeats": canary.repeats,
                "number": canary.number,
                "context": canary.fill(spec, SECRET_PLACEHOLDER),
                "exposure_bits": exposure.exposure_bits,
                "rank": exposure.rank,
                "method": exposure.method,
                "code_bits": float(code),
                "n_tokens": len(sample),
                "prompt_tokens": k,
                "extracted": bool(np.array_equal(generated, sample[k:])),
                # SPEC 13: log10 p of the secret (and what follows) under top-k sampling from
                # the same context, and the tries needed to extract it with probability 0.9
                # (None: it cannot be sampled).
                "discover_log10_p": log10_p,
                "discover_tries": _finite(tries_needed(log10_p)),
            }
        )
    return rows


def _finite(tries: float) -> int | None:
    return int(tries) if math.isfinite(tries) else None


def summary_of(spec: CanarySpace, rows: list[TableRow]) -> Measures:
    """What a run's summary carries: the space, the candidates and the per-canary rows."""
    space = space_of(spec)
    return {
        "canaries": rows,
        "canary_space_bits": space.log2_size,
        "canary_template": spec.template,
        "canary_n_candidates": min(spec.n_candidates, space.size),
    }
