"""The samples a scatter keeps: each TF-IDF bucket's lowest and highest mem_U, and the top."""

from __future__ import annotations

import numpy as np

from memdash.app.analysis.scatter import extreme_indices, mark_scatter_rows


def test_bucket_extremes_and_top_are_kept() -> None:
    tfidf = [0.0, 0.1, 0.2, 0.9, 1.0, None]
    mem_u = [5.0, 1.0, 3.0, 7.0, 2.0, 99.0]
    # Two buckets: [0, 0.5) holds 0..2 (min at 1, max at 0), [0.5, 1] holds 3..4.
    assert extreme_indices(tfidf, mem_u, buckets=2, top=1) == {0, 1, 3, 4}
    assert extreme_indices([], []) == set()


def test_a_million_points_thin_to_a_few_thousand() -> None:
    rng = np.random.default_rng(0)
    tfidf, mem_u = rng.uniform(0, 4, 10**6), rng.exponential(20, 10**6)
    kept = extreme_indices(tfidf.tolist(), mem_u.tolist(), buckets=200, top=1000)
    assert len(kept) <= 200 * 2 + 1000
    assert int(np.argmax(mem_u)) in kept and int(np.argmin(mem_u)) in kept


def test_rows_are_marked_per_split() -> None:
    rows = [
        {"split": s, "tfidf": float(i), "mem_u_bits": float(i)}
        for s in ("a", "b")
        for i in range(3)
    ]
    mark_scatter_rows(rows)
    assert all("in_scatter" in r for r in rows)
    assert [r["in_scatter"] for r in rows if r["split"] == "a"] == [True, True, True]
