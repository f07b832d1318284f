"""Stratified draws by group, pure (no I/O): which samples a side keeps when it has more than
a limit (issue 27: never the head of a file), and which members and non-members a membership
attack compares (issue 37: never the head of a list grouped by group).

Each group gets a share of the limit equal to its share of the items (largest remainder, so the
counts sum to the limit exactly); within a group the items are a seeded uniform draw. The same
seed, the same groups and the same limit always keep the same items, whatever model scores
them, so every attack and every file of a quantization study compares the same samples. Kept
indices come back in their original order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from memdash.core.edges import Measures

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


# Seeds the attack's draw apart from the sample draw; members and non-members apart too.
ATTACK_SALT = 0xA77C


@dataclass(frozen=True)
class BalancedSets:
    """The membership attack's sets: equal numbers of members and non-members (SPEC 6), each
    side a seeded draw stratified by its own groups, and what each set holds per group."""

    members: list[int]
    nonmembers: list[int]
    member_groups: dict[str, int]
    nonmember_groups: dict[str, int]

    @property
    def n(self) -> int:
        return len(self.members)

    def flags(self, n_members: int, n_nonmembers: int) -> tuple[list[bool], list[bool]]:
        """Per sample of each side: is it in the attack's set?"""
        member, nonmember = set(self.members), set(self.nonmembers)
        return (
            [i in member for i in range(n_members)],
            [i in nonmember for i in range(n_nonmembers)],
        )

    def counts(self) -> Measures:
        """For a summary: the set's size and its counts per group (of the set the attack
        used, not of the whole side)."""
        return {
            "n": self.n,
            "members_by_group": self.member_groups,
            "nonmembers_by_group": self.nonmember_groups,
        }


def balanced_sets(
    member_groups: Sequence[str], nonmember_groups: Sequence[str], seed: int = 0
) -> BalancedSets:
    """n = min(members, non-members) of each side, drawn per group at the group's share of that
    side (stratified_sample), seeded: the larger side is sampled, never cut at its head (a
    held-out list sorted by group would give the attack one group)."""
    n = min(len(member_groups), len(nonmember_groups))
    members = _draw_n(member_groups, n, [seed, ATTACK_SALT, 1])
    nonmembers = _draw_n(nonmember_groups, n, [seed, ATTACK_SALT, 2])
    return BalancedSets(
        members=members,
        nonmembers=nonmembers,
        member_groups=dict(sorted(Counter(member_groups[i] for i in members).items())),
        nonmember_groups=dict(sorted(Counter(nonmember_groups[i] for i in nonmembers).items())),
    )


def _draw_n(groups: Sequence[str], n: int, seed: list[int]) -> list[int]:
    if n >= len(groups):
        return list(range(len(groups)))
    by_group = indices_by_group(groups)
    quotas = group_quotas({g: len(ix) for g, ix in by_group.items()}, n)
    return draw(by_group, quotas, np.random.default_rng(seed))
