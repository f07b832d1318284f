"""What a capacity sweep that mixes plain GPTs and LM2s says about the memory module (SPEC 8).

Per architecture, α fitted through the origin over all parameters and over non-memory
parameters; per LM2 configuration, bits per memory slot; per LM2 variant against the plain
shape it was matched to, the capacity difference with its range over seeds, and the finding
in one sentence. Choices (docs/measures.md, "LM2 memory module"):

- A seed's capacity is the most that seed memorized over the dataset sizes (the sweep's
  capacity is the same maximum over the seed means); intervals are the min-max over seeds.
- What the memory module adds = capacity − α_GPT · non-memory parameters: what the LM2 stores
  beyond what its non-memory parameters store at the plain models' α (saturated shapes only).
  It is the whole module's: the bank (N·d), the gates and the read's projections (6d² + 3d
  per block), reported apart. Per slot and per bank parameter it is shown only with the
  interval α_GPT's 95% interval implies (α's upper end gives the lower end): with the few
  plain shapes of a CPU sweep that interval is wide, and the per-slot figure is mostly
  parameter counting. With fewer than two saturated plain shapes there is no α_GPT and none.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from memdash.app.analysis.summaries import alpha_fits
from memdash.app.db.models import Run
from memdash.core.edges import TableRow
from memdash.core.run_config import TrainedRunConfig

MATCH_WORDS = {"non_memory": "matched non-memory parameters", "total": "matched total parameters"}


def config_of(run: Run) -> TrainedRunConfig:
    return TrainedRunConfig.of(run.config)


def seed_capacities(runs: list[Run]) -> dict[str, dict[int, float]]:
    """Configuration -> seed -> the most that seed memorized over dataset sizes (bits)."""
    best: dict[str, dict[int, float]] = defaultdict(dict)
    for run in runs:
        key, seed, bits = config_of(run).name, run.seed or 0, run.summary["mem_u_bits"]
        best[key][seed] = max(best[key].get(seed, -np.inf), bits)
    return best


def alphas_by_architecture(shapes: list[TableRow]) -> dict[str, TableRow]:
    """Per architecture, α over all parameters and over non-memory parameters (a shape row
    without `n_nonmemory_params` is a plain model: all its parameters are non-memory)."""
    by_arch: dict[str, list[TableRow]] = defaultdict(list)
    for shape in shapes:
        by_arch[shape.get("architecture", "GPT")].append(shape)
    alphas: dict[str, TableRow] = {}
    for arch, members in sorted(by_arch.items()):
        non_memory = []
        for s in members:
            n = s.get("n_nonmemory_params", s["n_params"])
            non_memory.append({**s, "n_params": n, "bits_per_param": s["capacity_bits"] / n})
        # Over saturated shapes only (SPEC 3; app.analysis.summaries.alpha_fits).
        alphas[arch] = {"all": alpha_fits(members)[0], "non_memory": alpha_fits(non_memory)[0]}
    return alphas


def architecture_summary(shapes: list[TableRow], runs: list[Run]) -> TableRow:
    """α per architecture (all / non-memory parameters), bits per slot and matched pairs, for
    the shapes of one precision (entries of the capacity summary's `shapes`)."""
    alphas = alphas_by_architecture(shapes)
    plain_fit = alphas.get("GPT", {}).get("all")
    for shape in (s for s in shapes if s["architecture"] == "LM2"):
        if plain_fit and "ci95" in plain_fit and shape.get("memory_slots"):
            shape |= memory_bits(shape, plain_fit["alpha"], plain_fit["ci95"])
    pairs = _matched_pairs(shapes, seed_capacities(runs))
    return {
        "alpha_by_architecture": alphas,
        "matched_pairs": pairs,
        "finding": _finding(pairs),
    }


def memory_bits(shape: TableRow, alpha: float, ci95: list[float]) -> TableRow:
    """What an LM2's memory module stores beyond its non-memory parameters at the plain
    models' α, with the interval α's interval implies; per slot and per bank parameter."""
    nonmemory, capacity = shape["n_nonmemory_params"], shape["capacity_bits"]
    bits = capacity - alpha * nonmemory
    low, high = capacity - ci95[1] * nonmemory, capacity - ci95[0] * nonmemory
    out: TableRow = {"memory_bits": bits, "memory_bits_ci95": [low, high]}
    slots = shape["memory_slots"]
    out["bits_per_slot"], out["bits_per_slot_ci95"] = bits / slots, [low / slots, high / slots]
    bank = (shape.get("memory_param_parts") or {}).get("bank")
    if bank:
        out["bits_per_bank_param"] = bits / bank
        out["bits_per_bank_param_ci95"] = [low / bank, high / bank]
    return out


def _matched_pairs(shapes: list[TableRow], per_seed: dict[str, dict[int, float]]) -> list[TableRow]:
    by_key = {s["shape"]: s for s in shapes}
    pairs = []
    for lm2 in shapes:
        plain = by_key.get(lm2.get("matched_to_config") or "")
        if lm2["architecture"] != "LM2" or plain is None:
            continue
        seeds = sorted(set(per_seed.get(lm2["shape"], {})) & set(per_seed.get(plain["shape"], {})))
        ratios = [
            (per_seed[lm2["shape"]][s] / lm2["n_params"])
            / (per_seed[plain["shape"]][s] / plain["n_params"])
            for s in seeds
            if per_seed[plain["shape"]][s] > 0
        ]
        pairs.append(
            {
                "lm2": lm2["shape"],
                "plain": plain["shape"],
                "matched": lm2["matched"],
                "lm2_params": lm2["n_params"],
                "plain_params": plain["n_params"],
                "capacity_ratio": lm2["capacity_bits"] / plain["capacity_bits"]
                if plain["capacity_bits"] > 0
                else None,
                # bits/parameter of the LM2 over that of its plain shape, per seed
                "per_param_ratio": float(np.mean(ratios)) if ratios else None,
                "per_param_ratio_range": [float(min(ratios)), float(max(ratios))]
                if ratios
                else None,
                "n_seeds": len(ratios),
            }
        )
    return pairs


def _finding(pairs: list[TableRow]) -> str | None:
    """The result in one sentence per kind of match, from the per-seed ratios."""
    sentences = []
    for match in ("non_memory", "total"):
        chosen = [p for p in pairs if p["matched"] == match and p["per_param_ratio"] is not None]
        if not chosen:
            continue
        ratios = [p["per_param_ratio"] for p in chosen]
        low = min(p["per_param_ratio_range"][0] for p in chosen)
        high = max(p["per_param_ratio_range"][1] for p in chosen)
        mean = float(np.mean(ratios))
        verdict = "more" if low > 1 else "less" if high < 1 else "neither clearly more nor less"
        sentences.append(
            f"At {MATCH_WORDS[match]}, LM2 memorizes {verdict} per parameter than the plain "
            f"GPT: {mean:.2f}× its bits/parameter (per-seed range {low:.2f}–{high:.2f}, "
            f"{len(chosen)} shape{'s' if len(chosen) > 1 else ''})."
        )
    return " ".join(sentences) or None


TEXT_MEASURES = (
    ("mem_u_bits", "Σ mem_U"),
    ("extract_rate_train_k8", "extraction (k = 8)"),
    ("mi_loss_auc", "loss-attack AUC"),
)


def text_comparison(runs: list[Run]) -> TableRow | None:
    """A text sweep's LM2 runs against the plain run they were matched to, on the same
    training set (same N, same seed): mem_U per parameter as a ratio, extraction and
    membership inference as differences, each with its mean and min-max over N and seeds."""
    plain = {
        (config_of(r).name, r.n_train, r.seed): r
        for r in runs
        if config_of(r).architecture == "GPT"
    }
    rows = []
    for run in runs:
        config = config_of(run)
        if config.architecture != "LM2" or config.matched_to is None:
            continue
        base = plain.get((config.matched_to, run.n_train, run.seed))
        if base is None:
            continue
        s, b = run.summary, base.summary
        row: TableRow = {
            "lm2": config.name,
            "plain": config_of(base).name,
            "matched": config.matched,
            "n_train": run.n_train,
            "seed": run.seed,
        }
        if b.get("mem_u_bits") and run.n_params and base.n_params:
            row["mem_u_per_param_ratio"] = (s["mem_u_bits"] / run.n_params) / (
                b["mem_u_bits"] / base.n_params
            )
        for key, _ in TEXT_MEASURES[1:]:
            if s.get(key) is not None and b.get(key) is not None:
                row[f"{key}_diff"] = s[key] - b[key]
        rows.append(row)
    if not rows:
        return None
    return {"rows": rows, "finding": _text_finding(rows)}


def _spread(values: list[float]) -> str:
    return f"{np.mean(values):.2f} (range {min(values):.2f} to {max(values):.2f})"


def _text_finding(rows: list[TableRow]) -> str:
    sentences = []
    for match in ("non_memory", "total"):
        chosen = [r for r in rows if r["matched"] == match]
        ratios = [r["mem_u_per_param_ratio"] for r in chosen if "mem_u_per_param_ratio" in r]
        if not ratios:
            continue
        compared = (
            "more training data per parameter than"
            if min(ratios) > 1
            else "less training data per parameter than"
            if max(ratios) < 1
            else "about as much training data per parameter as"
        )
        parts = [
            f"At {MATCH_WORDS[match]}, LM2 memorizes {compared} the plain GPT: "
            f"{_spread(ratios)}× its Σ mem_U per parameter"
        ]
        for key, words in TEXT_MEASURES[1:]:
            diffs = [r[f"{key}_diff"] for r in chosen if f"{key}_diff" in r]
            if diffs:
                parts.append(
                    f"{words} {np.mean(diffs):+.2f} against the plain GPT's "
                    f"(range {min(diffs):+.2f} to {max(diffs):+.2f})"
                )
        sentences.append(
            "; ".join(parts) + f" (over {len(chosen)} pairs of runs on the same training set)."
        )
    return " ".join(sentences)
