"""The membership attack's balanced set (issue 37): drawn from both sides, stratified by group,
never the head of a list sorted by group."""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from memdash.core.stratified import balanced_sets


def test_a_grouped_heldout_list_gives_the_attack_every_group() -> None:
    # The case: 3 groups; 64 members, 256 non-members sorted by group.
    members = ["a", "b", "c"] * 21 + ["a"]
    nonmembers = ["a"] * 85 + ["b"] * 89 + ["c"] * 82
    sets = balanced_sets(members, nonmembers, seed=0)
    assert sets.n == 64
    assert sets.members == list(range(64))  # the smaller side whole
    by_group = sets.nonmember_groups
    assert set(by_group) == {"a", "b", "c"}
    for group, available in Counter(nonmembers).items():
        assert abs(by_group[group] - 64 * available / 256) <= 1
    assert sets.counts()["nonmembers_by_group"] == by_group


@given(
    st.lists(st.sampled_from("xyz"), min_size=1, max_size=80),
    st.lists(st.sampled_from("xyz"), min_size=1, max_size=80),
    st.integers(0, 5),
)
def test_each_set_keeps_each_groups_share_within_one(members, nonmembers, seed) -> None:
    sets = balanced_sets(members, nonmembers, seed=seed)
    n = min(len(members), len(nonmembers))
    assert len(sets.members) == len(sets.nonmembers) == n
    assert len(set(sets.members)) == n and len(set(sets.nonmembers)) == n
    for side, chosen in ((members, sets.members), (nonmembers, sets.nonmembers)):
        got = Counter(side[i] for i in chosen)
        for group, available in Counter(side).items():
            assert abs(got[group] - n * available / len(side)) < 1 + 1e-9
    again = balanced_sets(members, nonmembers, seed=seed)
    assert again == sets  # seeded: every attack and every file of a study draws the same


def test_flags_mark_exactly_the_drawn_samples() -> None:
    sets = balanced_sets([""] * 5, [""] * 9, seed=1)
    members, nonmembers = sets.flags(5, 9)
    assert sum(members) == 5 and sum(nonmembers) == 5
    assert list(np.flatnonzero(nonmembers)) == sets.nonmembers
