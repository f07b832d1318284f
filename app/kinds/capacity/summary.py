"""A capacity sweep's summary when its last job ends: capacity per configuration (the maximum
over dataset sizes of the seed mean), α fitted across them beside the paper's, which shapes are
lower bounds, and the LM2 comparison."""

from __future__ import annotations

from sqlalchemy.orm import Session

from memdash.app.analysis.architecture_summary import architecture_summary
from memdash.app.analysis.summaries import alpha_fits
from memdash.app.db.models import Run
from memdash.app.kinds.capacity.document import CapacityRunConfig
from memdash.app.kinds.capacity.plan import config_key
from memdash.core.edges import JSONObject, TableRow
from memdash.core.metrics.capacity import (
    PAPER_ALPHA_FITTED_BF16,
    PAPER_ALPHA_MEAN_BF16,
    PAPER_ALPHA_MEAN_FP32,
    CapacityPoint,
    capacity_per_config,
    seeds_apart,
)
from memdash.core.results import saturated


def summarize(_session: Session, runs: list[Run]) -> JSONObject:
    """Capacity per configuration with how far to trust it, α per precision (and per
    architecture for LM2 sweeps); every page, figure, export and CLI line reads these."""
    config = {id(r): CapacityRunConfig.of(r.config) for r in runs}  # runs may not be stored yet
    done = [r for r in runs if r.status == "succeeded" and "mem_u_bits" in r.summary]
    points = [
        CapacityPoint(config[id(r)].name, r.n_train or 0, r.summary["mem_u_bits"]) for r in done
    ]
    params_of: dict[str, int] = {config[id(r)].name: r.n_params or 0 for r in done}
    # A size with a run that did not finish (failed, cancelled) has a seed missing.
    incomplete = {
        (config[id(r)].name, r.n_train or 0)
        for r in runs
        if not (r.status == "succeeded" and "mem_u_bits" in r.summary)
    }
    # Configurations are keyed by the shape's name (a string) here.
    capacities = {str(k): c for k, c in capacity_per_config(points, incomplete).items()}

    def unsaturated_sizes(key: str) -> list[int]:
        """Sizes with a run stopped by its budget while still improving: the maximum over
        sizes may lie higher there, so any such size makes the capacity a lower bound."""
        return sorted(
            {
                r.n_train or 0
                for r in done
                if config[id(r)].name == key and not saturated(r.summary.get("stop_reason"))
            }
        )

    def failed_sizes(key: str) -> list[int]:
        """Sizes of the shape none of whose runs finished: they vanish from the maximum, which
        may have been there, so they are flagged (and make the capacity a lower bound)."""
        planned = {r.n_train or 0 for r in runs if config[id(r)].name == key}
        return sorted(planned - {r.n_train or 0 for r in done if config[id(r)].name == key})

    shapes: list[TableRow] = []
    for key, c in sorted(capacities.items(), key=lambda kv: params_of[kv[0]]):
        low, high = c.seed_range_bits
        capped = unsaturated_sizes(key)
        # Seeds that ended more than 10% apart at a size: one of them stalled, a stall the
        # saturation rule cannot tell from a plateau (core.metrics.capacity.seeds_apart).
        apart = sorted(n for n, bits in c.seed_bits.items() if seeds_apart(bits))
        failed = failed_sizes(key)
        largest = max(c.seed_means)
        shapes.append(
            {
                "shape": key,
                "n_params": params_of[key],
                "capacity_bits": c.capacity_bits,
                "argmax_n_samples": c.argmax_n_samples,
                "bits_per_param": c.capacity_bits / params_of[key],
                "n_seeds": len(c.seed_bits[c.argmax_n_samples]),
                "seed_range_bits": [low, high],
                # A capacity is only one when every size's runs stopped improving, their seeds
                # agree, and no size was lost.
                "saturated": not (capped or apart or failed),
                "unsaturated_sizes": capped,
                "seeds_apart_sizes": apart,
                "failed_sizes": failed,
                "incomplete_sizes": list(c.incomplete_sizes),
                # Past the peak: the largest size's bits as a share of the capacity (the paper
                # reports a plateau, 1.0; a fall shows as less).
                "largest_n_samples": largest,
                "past_peak_share": c.seed_means[largest] / c.capacity_bits
                if largest > c.argmax_n_samples and c.capacity_bits > 0
                else None,
                # Sizes of the second pass around the first pass's peak (`refine`).
                "refined_sizes": sorted(
                    {r.n_train or 0 for r in done if config[id(r)].name == key}
                    & {r.n_train or 0 for r in done if config[id(r)].refinement}
                ),
            }
        )
    reasons: dict[str, int] = {}
    for run in done:
        reason = run.summary.get("stop_reason") or "unknown"
        reasons[reason] = reasons.get(reason, 0) + 1
    summary: JSONObject = {
        "shapes": shapes,
        "stop_reasons": reasons,
        "n_runs_not_saturated": sum(not saturated(r.summary.get("stop_reason")) for r in done),
        "n_shapes_lower_bound": sum(not s["saturated"] for s in shapes),
        "paper": {
            "alpha_fitted_bf16": PAPER_ALPHA_FITTED_BF16,
            "alpha_mean_bf16": PAPER_ALPHA_MEAN_BF16,
            "alpha_mean_fp32": PAPER_ALPHA_MEAN_FP32,
        },
    }
    config_of = {config[id(r)].name: config[id(r)] for r in done}
    precisions = sorted({c.precision for c in config_of.values()})
    for entry in shapes:
        of = config_of[entry["shape"]]
        entry["precision"] = of.precision
        entry["layers"] = of.layers
        entry["architecture"] = of.architecture
        entry["memory_slots"] = of.memory_slots
        entry["n_memory_params"] = of.n_memory_params
        entry["n_nonmemory_params"] = entry["n_params"] - entry["n_memory_params"]
        if of.memory_slots:  # the memory module's parameters by part
            entry["memory_param_parts"] = of.shape.memory_param_parts()
        if of.matched and of.matched_to:
            entry["matched"] = of.matched
            entry["matched_to_config"] = config_key(of.matched_to, of.precision, precisions)
    # α is the plain GPTs' (the paper's quantity) when the sweep has any; LM2s get their own.
    # One fit per precision, stored once: `alpha_fit` is the first precision's, and every
    # view reads these (none refits).
    # α over the saturated shapes only; over every shape (a lower bound) beside it when some
    # capacity is one.
    by_precision, all_shapes = {}, {}
    for precision in precisions:
        of_precision = [s for s in shapes if s["precision"] == precision]
        plain = [s for s in of_precision if s["architecture"] == "GPT"]
        by_precision[precision], every = alpha_fits(plain or of_precision)
        if every is not None:
            all_shapes[precision] = every
    if shapes:
        summary["alpha_by_precision"] = by_precision
    if all_shapes:
        summary["alpha_all_shapes_by_precision"] = all_shapes
    first = [s for s in shapes if s["precision"] == precisions[0]] if shapes else []
    if shapes and (fit := by_precision[precisions[0]]) is not None:
        summary["alpha_fit"] = {**fit, "precision": precisions[0]}
    if shapes and (every := all_shapes.get(precisions[0])) is not None:
        summary["alpha_fit_all_shapes"] = {**every, "precision": precisions[0]}
    if any(s["architecture"] == "LM2" for s in first):
        first_runs = [r for r in done if config[id(r)].precision == precisions[0]]
        summary |= architecture_summary(first, first_runs)
    if len(precisions) > 1:
        summary["precision_comparison"] = precision_comparison(shapes)
    return summary


def precision_comparison(shapes: list[TableRow]) -> TableRow:
    """The paper's per-configuration comparison: bits/param in fp32 and bf16 per shape, and the
    means over shapes that have both (beside the paper's per-configuration means)."""
    by_layers: dict[str, dict[str, float]] = {}
    for entry in shapes:
        by_layers.setdefault(entry["layers"], {})[entry["precision"]] = entry["bits_per_param"]
    rows: list[TableRow] = [
        {"layers": layers, "alpha_fp32": got.get("fp32"), "alpha_bf16": got.get("bf16")}
        for layers, got in by_layers.items()
    ]
    both = [r for r in rows if r["alpha_fp32"] is not None and r["alpha_bf16"] is not None]
    means = {
        "mean_alpha_fp32": sum(r["alpha_fp32"] for r in both) / len(both) if both else None,
        "mean_alpha_bf16": sum(r["alpha_bf16"] for r in both) / len(both) if both else None,
    }
    return {
        "rows": rows,
        **means,
        "paper_mean_fp32": PAPER_ALPHA_MEAN_FP32,
        "paper_mean_bf16": PAPER_ALPHA_MEAN_BF16,
    }
