"""A blind baseline for membership inference (SPEC 11; Das, Zhang & Tramèr 2024).

A membership attack shows memorization only if members and non-members differ by membership
alone. The blind baseline never sees the model: it learns to tell the two sets apart from their
text — word 1-2-grams and character 2-4-grams (TF-IDF weighted, fitted on the training folds
only) and the log length — with an L2-regularised logistic regression, stratified k-fold
cross-validated *by document* where samples know theirs (the windows of one document all fall
in one fold: otherwise a classifier learns a long document's words from its other windows and
"recognizes" that document, a shortcut that has nothing to do with how the two sets were
chosen), each sample scored by the fold that did not train on it. Its out-of-fold
probability of "member" is a membership score like the attacks' (higher = member), so it gets
the same AUC, TPR at low FPR and intervals (core.metrics.membership.membership_report).

Reading (docs/measures.md): a blind AUC whose interval lies above 0.5 means the sets can be told
apart without the model, and the attacks' AUCs are not evidence of membership; an attack that
does not beat the blind baseline shows nothing about memorization. With fewer than
MIN_PER_SIDE samples a side, a cross-validated classifier says nothing: no number is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FOLDS = 5
MIN_PER_SIDE = 20  # SPEC 11: "fewer than about 20 per side: say so, no number"
REGULARISATION_C = 1.0  # sklearn's default inverse strength; not tuned on the audited sets


@dataclass(frozen=True)
class BlindScores:
    """Out-of-fold membership scores, index-aligned with the texts given."""

    member: NDArray[np.float64]
    nonmember: NDArray[np.float64]
    folds: int
    by_document: bool  # folds kept each document's samples together


def too_few(
    n_members: int,
    n_nonmembers: int,
    member_documents: Sequence[int] | None = None,
    nonmember_documents: Sequence[int] | None = None,
) -> str | None:
    """Why no blind baseline can be given for sets of these sizes (and documents), or None."""
    if min(n_members, n_nonmembers) < MIN_PER_SIDE:
        return (
            f"too few samples for a cross-validated classifier ({n_members} members, "
            f"{n_nonmembers} non-members; at least {MIN_PER_SIDE} a side)"
        )
    for side, documents in (("members", member_documents), ("non-members", nonmember_documents)):
        if documents is not None and len(set(documents)) < FOLDS:
            return (
                f"the {side} come from {len(set(documents))} documents: too few to "
                f"cross-validate a classifier by document ({FOLDS} folds)"
            )
    return None


def blind_scores(
    member_texts: Sequence[str],
    nonmember_texts: Sequence[str],
    seed: int = 0,
    member_documents: Sequence[int] | None = None,
    nonmember_documents: Sequence[int] | None = None,
) -> BlindScores:
    """Each text's out-of-fold probability of being a member, from its text alone; folds keep
    each document's samples together when both sides' `*_documents` are given. A ValueError
    when the texts hold no words or characters to learn from."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    reason = too_few(len(member_texts), len(nonmember_texts), member_documents, nonmember_documents)
    if reason:
        raise ValueError(reason)
    texts = [*member_texts, *nonmember_texts]
    labels = np.r_[np.ones(len(member_texts)), np.zeros(len(nonmember_texts))]
    log_length = np.log1p([len(t) for t in texts])[:, None]
    scores = np.zeros(len(texts))
    by_document = member_documents is not None and nonmember_documents is not None
    if by_document:
        # Members' and non-members' documents are different documents: distinct fold groups.
        groups = np.r_[2 * np.asarray(member_documents), 2 * np.asarray(nonmember_documents) + 1]
        splits = StratifiedGroupKFold(n_splits=FOLDS, shuffle=True, random_state=seed).split(
            np.zeros(len(texts)), labels, groups
        )
    else:
        splits = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed).split(
            np.zeros(len(texts)), labels
        )
    for train, test in splits:
        if len(set(labels[train])) < 2:
            raise ValueError("a fold's training part holds one side only")
        words = TfidfVectorizer(
            analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b"
        )
        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
        center, scale = log_length[train].mean(), log_length[train].std() or 1.0
        length = csr_matrix((log_length - center) / scale)
        train_texts, test_texts = [texts[i] for i in train], [texts[i] for i in test]
        fitted = hstack(
            [words.fit_transform(train_texts), chars.fit_transform(train_texts), length[train]]
        ).tocsr()
        held = hstack(
            [words.transform(test_texts), chars.transform(test_texts), length[test]]
        ).tocsr()
        model = LogisticRegression(C=REGULARISATION_C, max_iter=2000)
        model.fit(fitted, labels[train])
        scores[test] = model.predict_proba(held)[:, 1]
    n = len(member_texts)
    return BlindScores(scores[:n], scores[n:], FOLDS, by_document)
