"""Which samples a scoring compares (issue 27): a seeded random sample stratified by group, never
the head of a file; exact duplicates dropped first, a line in both files scored once, as the
member. The scoring job runs here in-process on a tiny random GPT-NeoX checkpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from memdash.core.stratified import group_quotas, stratified_sample
from tests import checkpoint_factory as factory
from tests.score_job import run_scoring

N_LINES, N_PLANTED, LIMIT = 1_516, 16, 1_000


def _run(tmp_path: Path, members: list[str], nonmembers: list[str], name: str) -> dict[str, Any]:
    model = factory.tar_gz(factory_neox(tmp_path), tmp_path / f"{name}.tar.gz")
    return run_scoring(
        tmp_path / name, model, members, nonmembers, reference="zlib", seq_len=16, max_samples=LIMIT
    )


def factory_neox(tmp_path: Path) -> Path:
    folder = tmp_path / "neox"
    if not folder.exists():
        factory.random_neox(folder)
    return folder


def _lines() -> tuple[list[str], list[str]]:
    ordinary = [f"member {i}" for i in range(N_LINES - N_PLANTED)]
    planted = [f"vault Q{i:03d}" for i in range(N_PLANTED)]
    return ordinary, planted


def test_planted_last_lines_are_sampled_at_their_share_and_reproducibly(tmp_path: Path) -> None:
    ordinary, planted = _lines()
    members = ordinary + planted  # the planted lines are the file's last 16
    shared = ordinary[:3]  # three non-members that are also members
    nonmembers = [f"held out {i}" for i in range(40)] + shared + shared[:1]
    first = _run(tmp_path, members, nonmembers, "a")
    second = _run(tmp_path, members, nonmembers, "b")
    rows = first.samples.train.document
    assert len(rows) == LIMIT == first.summary.n_train
    assert rows == second.samples.train.document  # seeded: the same sample again
    kept_planted = sum(d >= N_LINES - N_PLANTED for d in rows)
    # 16 · 1000/1516 ≈ 10.6 expected; the head of the file would hold none of them.
    assert 5 <= kept_planted <= 16, kept_planted
    assert max(rows) > LIMIT  # documents past the first thousand are scored
    counts = first.summary.member_sample
    assert counts["documents"] == counts["samples"] == N_LINES  # one sample a line
    assert counts["samples_used"] == LIMIT
    # The three shared lines (one of them twice in the non-members file) are scored once, as
    # members: dropped from the non-members and counted.
    assert first.summary.duplicates == {
        "duplicate_members": 0,
        "duplicate_nonmembers": 1,
        "shared_documents": 3,
    }
    assert first.summary.n_heldout == 40
    assert not {t.strip() for t in first.samples.heldout.text} & set(shared)
    assert sum(t.strip() in shared for t in first.samples.train.text) <= 3


def test_groups_keep_their_share_exactly() -> None:
    groups = ["en"] * 600 + ["de"] * 300 + ["zh"] * 100
    kept = stratified_sample(groups, 100, seed=4)
    by_group = {g: sum(groups[i] == g for i in kept) for g in ("en", "de", "zh")}
    assert by_group == {"en": 60, "de": 30, "zh": 10}
    assert kept == sorted(kept) and kept == stratified_sample(groups, 100, seed=4)
    assert kept != stratified_sample(groups, 100, seed=5)


def test_quotas_sum_to_the_limit_by_largest_remainder() -> None:
    assert group_quotas({"a": 5, "b": 5, "c": 5}, 10) == {"a": 4, "b": 3, "c": 3}
    assert group_quotas({"a": 2, "b": 1}, 10) == {"a": 2, "b": 1}  # under the limit: all
    assert sum(group_quotas({"a": 7, "b": 11, "c": 13}, 17).values()) == 17


@pytest.fixture(autouse=True)
def _one_thread():
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.slow  # a real scoring job: the full suite runs it
def test_the_attack_compares_every_group_of_nonmembers_listed_in_order(tmp_path: Path) -> None:
    """40 members of three groups; 300 non-members listed group after group: the attack's 40
    non-members hold each group at its share (within one), not the first group's head."""
    groups = ("alpha", "beta", "gamma")
    members = [(f"member line {i} of {g}", g) for i in range(40) for g in groups[i % 3 : i % 3 + 1]]
    nonmembers = [(f"held out {g} number {i}", g) for g in groups for i in range(100)]
    result = _run(tmp_path, members, nonmembers, "grouped")
    sets = result.summary.mi_sets
    assert sets["n"] == 40 == result.summary.mi_n
    for group in groups:
        assert abs(sets["nonmembers_by_group"][group] - 40 / 3) <= 1, sets
    assert sets["members_by_group"] == {"alpha": 14, "beta": 13, "gamma": 13}
    assert sum(result.samples.heldout.in_attack) == 40
