"""Which samples a mem_U vs TF-IDF scatter draws, so a figure over 10^6 samples stays small.

Per run and split, when results are stored: the samples with the lowest and highest mem_U in
each of BUCKETS equal-width TF-IDF buckets, plus the TOP most memorized. A figure over many runs
then reads only those rows and keeps, per bucket of its own grid, the extremes again
(app/views/data.py): the outliers a reader looks for survive, the dense middle is thinned.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from memdash.core.edges import TableRow

BUCKETS = 12
TOP = 6


def extreme_indices(
    tfidf: Sequence[float | None],
    mem_u: Sequence[float | None],
    buckets: int = BUCKETS,
    top: int = TOP,
) -> set[int]:
    """Positions of the bucket extremes of mem_U over TF-IDF, and of the `top` largest mem_U."""
    x = np.asarray(tfidf, dtype=float)  # None becomes NaN
    y = np.asarray(mem_u, dtype=float)
    ok = np.flatnonzero(~np.isnan(x) & ~np.isnan(y))
    if ok.size == 0:
        return set()
    chosen = set(ok[np.argsort(-y[ok], kind="stable")[:top]].tolist())
    low, high = x[ok].min(), x[ok].max()
    bucket = np.minimum(((x[ok] - low) / ((high - low) / buckets or 1.0)).astype(int), buckets - 1)
    for b in np.unique(bucket):
        members = ok[bucket == b]
        chosen.add(int(members[np.argmin(y[members])]))
        chosen.add(int(members[np.argmax(y[members])]))
    return chosen


def mark_scatter_rows(rows: list[TableRow]) -> None:
    """Set `in_scatter` on sample rows (dicts with split, tfidf, mem_u_bits), per split."""
    by_split: dict[str, list[int]] = {}
    for position, row in enumerate(rows):
        by_split.setdefault(row["split"], []).append(position)
    for positions in by_split.values():
        picked = extreme_indices(
            [rows[p]["tfidf"] for p in positions], [rows[p]["mem_u_bits"] for p in positions]
        )
        for i, position in enumerate(positions):
            rows[position]["in_scatter"] = i in picked
