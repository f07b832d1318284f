"""A quantization study's summary when its last job ends: a row per file (size, bits per
weight, every measure), each written type's paired differences from the model as uploaded, a
sentence per type, and the samples the lowest-precision file stops (or starts) extracting."""

from __future__ import annotations

from sqlalchemy.orm import Session

from memdash.app.db.models import Run
from memdash.app.kinds.quantization.compare import changed_samples, compare, file_row, in_words
from memdash.app.kinds.scoring.document import ScoredRunConfig
from memdash.core.edges import JSONObject
from memdash.core.metrics.extraction import common_prefix

SOURCE = "source"


def summarize(session: Session, runs: list[Run]) -> JSONObject:
    done = sorted(
        (r for r in runs if r.status == "succeeded" and "mem_u_bits" in r.summary),
        key=lambda r: ScoredRunConfig.of(r.config).position,
    )
    source = next((r for r in done if ScoredRunConfig.of(r.config).gguf_type == SOURCE), None)
    rows = [file_row(run) for run in done]
    if source is None:
        return {"files": rows}
    source_row = rows[done.index(source)]
    differences, words = {}, []
    for run, row in zip(done, rows, strict=True):
        if run is source:
            continue
        differences[str(run.id)] = diff = compare(session, source, run)
        if sentence := in_words(source_row, row, diff):
            words.append(sentence)
    summary: JSONObject = {"files": rows, "differences": differences, "words": words}
    others = [(row, run) for row, run in zip(rows, done, strict=True) if run is not source]
    if others:
        lowest_row, lowest = min(others, key=lambda pair: pair[0]["bits_per_weight"] or 99)
        k = common_prefix([source.summary, lowest.summary])
        if k is not None:
            summary["changed"] = changed_samples(session, source, lowest, k)
        summary["exposure_kept"] = _exposure_kept(source_row, lowest_row)
    return summary


def _exposure_kept(source: JSONObject, lowest: JSONObject) -> JSONObject | None:
    """Does the full-precision model expose its canaries at least as much as the
    lowest-precision file? (The answer the page states either way.)"""
    full, low = source.get("canary_exposure_bits"), lowest.get("canary_exposure_bits")
    if full is None or low is None:
        return None
    return {
        "against": lowest["gguf_type"],
        "full_bits": full,
        "low_bits": low,
        "share": low / full if full else None,
        "full_at_least_low": full >= low,
    }
