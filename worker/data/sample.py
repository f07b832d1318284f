"""A seeded order stratified by group (a text sweep's splits) and the counts a page gives of a
side's sample. The draws themselves are pure and shared with the server: core/stratified.py."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from memdash.core.edges import JSONObject
from memdash.core.stratified import indices_by_group


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

    def as_dict(self) -> JSONObject:
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
