"""SPEC 11: the blind baseline tells a distribution-shifted pair apart (members in one language of
the demo corpus, non-members in another) and sits at chance on a random split of one corpus; it
says so instead of a number with too few samples; its direction is that of the attacks."""

from __future__ import annotations

import numpy as np
import pytest

from memdash.core.metrics.blind import MIN_PER_SIDE, blind_scores, too_few
from memdash.core.metrics.membership import membership_report, roc_auc


def _fortunes(language: str, n: int) -> list[str]:
    from memdash.worker.data.demo_corpus import load_lines

    package = "fortunes" if language == "en" else f"fortunes-{language}"
    texts = [line.text for line in load_lines(package)]
    assert len(texts) >= n, f"the demo corpus has {len(texts)} {language} fortunes"
    rng = np.random.default_rng(11)
    return [texts[i][:300] for i in rng.choice(len(texts), n, replace=False)]


def test_a_shifted_pair_is_told_apart_without_the_model() -> None:
    scores = blind_scores(_fortunes("de", 120), _fortunes("es", 120))
    report = membership_report(scores.member, scores.nonmember)
    assert report.auc > 0.9 and report.intervals["auc"][0] > 0.5


def test_a_random_split_of_one_corpus_sits_at_chance() -> None:
    texts = _fortunes("en", 400)
    order = np.random.default_rng(2).permutation(len(texts))
    members, nonmembers = [texts[i] for i in order[:200]], [texts[i] for i in order[200:]]
    scores = blind_scores(members, nonmembers)
    low, high = membership_report(scores.member, scores.nonmember).intervals["auc"]
    assert low <= 0.5 <= high


def test_too_few_samples_give_a_reason_not_a_number() -> None:
    assert too_few(MIN_PER_SIDE, MIN_PER_SIDE) is None
    assert "too few" in (too_few(MIN_PER_SIDE - 1, 100) or "")
    with pytest.raises(ValueError, match="too few"):
        blind_scores(["a b"] * 5, ["c d"] * 5)


def test_higher_means_member_whichever_side_is_called_members() -> None:
    """The classifier is trained on the labels it is given: its score is the probability of
    "member" for either naming, and read with the sides swapped its AUC is 1 − AUC."""
    members, nonmembers = _fortunes("de", 40), _fortunes("en", 40)
    forward, backward = blind_scores(members, nonmembers), blind_scores(nonmembers, members)
    auc = roc_auc(forward.member, forward.nonmember)
    assert auc > 0.9 and roc_auc(backward.member, backward.nonmember) > 0.9
    assert roc_auc(forward.nonmember, forward.member) == pytest.approx(1 - auc)


def test_folds_keep_a_documents_windows_together() -> None:
    """Members: one window from each of 60 documents; non-members: five windows from each of 12
    documents, every document drawing its words from its own topic, both sides from the same
    process. By sample, the folds split a non-member document's windows and the classifier
    recognizes the document from its other windows (a shortcut unrelated to membership); by
    document it cannot, and the sets are at chance."""
    rng = np.random.default_rng(8)
    vocabulary = [f"w{i}" for i in range(400)]

    def document_windows(n_windows: int) -> list[str]:
        topic = rng.dirichlet(np.full(len(vocabulary), 0.05))
        return [" ".join(rng.choice(vocabulary, 30, p=topic)) for _ in range(n_windows)]

    members = [document_windows(1)[0] for _ in range(60)]
    nonmembers = [w for _ in range(12) for w in document_windows(5)]
    by_sample = blind_scores(members, nonmembers)
    by_document = blind_scores(
        members, nonmembers, member_documents=range(60),
        nonmember_documents=[d for d in range(12) for _ in range(5)],
    )  # fmt: skip
    assert roc_auc(by_sample.member, by_sample.nonmember) > 0.75
    low, high = membership_report(by_document.member, by_document.nonmember).intervals["auc"]
    assert low <= 0.5 <= high and by_document.by_document
    assert "documents" in (too_few(60, 60, range(60), [0, 1, 2, 3] * 15) or "")
