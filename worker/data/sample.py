"""Which samples a side keeps when it has more than the limit: a seeded random sample,
stratified by group, never the head of a file (issue 27).

Each group gets a share of the limit equal to its share of the samples (largest remainder, so
the counts sum to the limit exactly); within a group the samples are a seeded uniform draw. The
same seed, the same input and the same limit always keep the same samples. The kept indices
are returned in their original order, so a report still reads in file order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

SAMPLE_SALT = 0x5A3B  # seeds the draw apart from every other use of the job's seed


def group_quotas(counts: dict[str, int], limit: int) -> dict[str, int]:
    """Per group, how many of its `counts[group]` samples to keep so that the kept counts sum
    to min(limit, total) and each is as near its proportional share as whole numbers allow."""
    total = sum(counts.values())
    if total <= limit:
        return dict(counts)
    exact = {group: limit * n / total for group, n in counts.items()}
    quotas = {group: int(share) for group, share in exact.items()}
    left = limit - sum(quotas.values())
    by_remainder = sorted(counts, key=lambda g: (-(exact[g] - quotas[g]), g))
    for group in by_remainder[:left]:
        quotas[group] += 1
    return quotas


def indices_by_group(groups: Sequence[str]) -> dict[str, list[int]]:
    """Each group's item indices, in order."""
    by_group: dict[str, list[int]] = {}
    for index, group in enumerate(groups):
        by_group.setdefault(group, []).append(index)
    return by_group


def draw(
    by_group: dict[str, list[int]], quotas: dict[str, int], rng: np.random.Generator
) -> list[int]:
    """`quotas[group]` of each group's indices (all of them where the quota covers the group),
    drawn uniformly without replacement; sorted."""
    kept: list[int] = []
    for group in sorted(quotas):
        indices = by_group[group]
        if quotas[group] >= len(indices):
            kept.extend(indices)
        else:
            kept.extend(int(i) for i in rng.choice(indices, size=quotas[group], replace=False))
    return sorted(kept)


def stratified_sample(groups: Sequence[str], limit: int, seed: int) -> list[int]:
    """Indices of at most `limit` items, drawn per group at the group's share, in order."""
    by_group = indices_by_group(groups)
    quotas = group_quotas({g: len(ix) for g, ix in by_group.items()}, limit)
    return draw(by_group, quotas, np.random.default_rng([seed, SAMPLE_SALT]))


def stratified_order(groups: Sequence[str], rng: np.random.Generator) -> NDArray[np.int64]:
    """A seeded order of the indices in which every prefix holds each group at its share of
    the whole (within one item): a group's k-th item (in a random order within the group) stands
    at a jittered k/n_group. A text sweep's held-out documents and its training samples are
    taken as prefixes of such orders, so a smaller set keeps the corpus's mix of groups."""
    keys = np.empty(len(groups))
    for _, indices in sorted(indices_by_group(groups).items()):
        n = len(indices)
        keys[np.asarray(indices)[rng.permutation(n)]] = (np.arange(n) + rng.random(n)) / n
    return np.argsort(keys, kind="stable").astype(np.int64)


@dataclass
class SampleCounts:
    """How many of how many, per group: what a page and the JSON say about a side's sample."""

    documents: Counter[str] = field(default_factory=Counter)  # read (after dedup)
    documents_used: Counter[str] = field(default_factory=Counter)  # with a kept sample
    samples: Counter[str] = field(default_factory=Counter)  # cut
    samples_used: Counter[str] = field(default_factory=Counter)  # kept

    def as_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents.total(),
            "documents_used": self.documents_used.total(),
            "samples": self.samples.total(),
            "samples_used": self.samples_used.total(),
            "by_group": {
                group: {
                    "documents": self.documents[group],
                    "documents_used": self.documents_used[group],
                    "samples": self.samples[group],
                    "samples_used": self.samples_used[group],
                }
                for group in sorted(self.documents)
            },
        }
