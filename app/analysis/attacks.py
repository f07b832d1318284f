"""A run's membership attacks as one table, with the blind baseline beside them (SPEC 6, 11-12).

One reading, used by every page that shows attacks and by the pasteable export
(`/api/sweeps/{id}/attacks`): rows in the order of core.api.ATTACKS, then the blind baseline;
each with its score, unit and direction (core.api.ATTACK_DEFINITIONS) and whether it beats the
blind baseline. The verdict says, before any attack number, whether the member and non-member
sets can be told apart without the model.

Rules (docs/measures.md "The blind baseline"): the sets are *distinguishable* when the blind
AUC's 95% interval lies wholly above DISTINGUISHABLE_AUC (0.55), *slightly apart* when it lies
above 0.5 but reaches below that, *at chance* otherwise; an attack *beats* the blind baseline
when the lower end of its AUC interval is above the blind AUC. The margin: the bootstrap
interval treats the out-of-fold scores as independent, which they are not quite (each fold's
classifier scores many samples), so it is somewhat too narrow; and a blind AUC of 0.52 is no
shift that could explain an attack's 0.9.
"""

from __future__ import annotations

from dataclasses import dataclass

from memdash.core.api import ATTACK_DEFINITIONS, ATTACKS, BLIND, DIRECTION, AttackTableRow
from memdash.core.edges import Measures

DISTINGUISHABLE_AUC = 0.55


def blind_state(auc_ci: object) -> str:
    """ "distinguishable", "slightly apart" or "at chance", from the blind AUC's interval."""
    interval = _interval(auc_ci)
    if interval is None:
        return "not measured"
    if interval[0] > DISTINGUISHABLE_AUC:
        return "distinguishable"
    return "slightly apart" if interval[0] > 0.5 else "at chance"


@dataclass(frozen=True)
class AttackRow:
    attack: str  # a key of ATTACK_DEFINITIONS
    label: str
    score: str
    unit: str
    auc: float
    auc_ci: tuple[float, float] | None
    tpr_at_1pct_fpr: float | None  # None: not measurable with this many non-members
    tpr_at_1pct_fpr_ci: tuple[float, float] | None
    tpr_at_0p1pct_fpr: float | None
    tpr_at_0p1pct_fpr_ci: tuple[float, float] | None
    f1: float | None
    beats_blind: bool | None  # None: no blind AUC to compare with (or the blind row itself)

    @property
    def is_blind(self) -> bool:
        return self.attack == BLIND


@dataclass(frozen=True)
class MembershipVerdict:
    """What the blind baseline says of a run's member and non-member sets."""

    state: str  # blind_state's, or "too few", "not measured"
    blind_auc: float | None
    blind_auc_ci: tuple[float, float] | None
    note: str | None  # why there is no blind number
    not_beating: list[str]  # labels of attacks whose AUC does not beat the blind baseline

    @property
    def distinguishable(self) -> bool:
        return self.state == "distinguishable"


def _interval(value: object) -> tuple[float, float] | None:
    if isinstance(value, list | tuple) and len(value) == 2:
        return float(value[0]), float(value[1])
    return None


def _row(summary: Measures, attack: str, blind_auc: float | None) -> AttackRow | None:
    prefix = f"mi_{attack}"
    auc = summary.get(f"{prefix}_auc")
    if auc is None:
        return None
    definition = ATTACK_DEFINITIONS[attack]
    auc_ci = _interval(summary.get(f"{prefix}_auc_ci"))
    beats = None
    if attack != BLIND and blind_auc is not None and auc_ci is not None:
        beats = auc_ci[0] > blind_auc
    return AttackRow(
        attack=attack,
        label=definition.label,
        score=definition.score,
        unit=definition.unit,
        auc=float(auc),
        auc_ci=auc_ci,
        tpr_at_1pct_fpr=summary.get(f"{prefix}_tpr_at_1pct_fpr"),
        tpr_at_1pct_fpr_ci=_interval(summary.get(f"{prefix}_tpr_at_1pct_fpr_ci")),
        tpr_at_0p1pct_fpr=summary.get(f"{prefix}_tpr_at_0p1pct_fpr"),
        tpr_at_0p1pct_fpr_ci=_interval(summary.get(f"{prefix}_tpr_at_0p1pct_fpr_ci")),
        f1=summary.get(f"{prefix}_f1"),
        beats_blind=beats,
    )


def attack_rows(summary: Measures) -> list[AttackRow]:
    """The run's attacks that were measured, in order, then the blind baseline (when given)."""
    blind_auc = summary.get(f"mi_{BLIND}_auc")
    rows = [_row(summary, attack, blind_auc) for attack in (*ATTACKS, BLIND)]
    return [row for row in rows if row is not None]


def strongest_attack(summary: Measures) -> AttackRow | None:
    """The attack with the highest AUC (the blind baseline is no attack), or None."""
    rows = [row for row in attack_rows(summary) if not row.is_blind]
    return max(rows, key=lambda row: row.auc, default=None)


def membership_verdict(summary: Measures) -> MembershipVerdict | None:
    """The blind baseline's verdict on a run's sets; None for a run without attacks."""
    if summary.get("mi_n") is None:
        return None
    rows = attack_rows(summary)
    blind = next((row for row in rows if row.is_blind), None)
    not_beating = [row.label for row in rows if row.beats_blind is False]
    if blind is None:
        note = summary.get("mi_blind_note")
        state = "too few" if note else "not measured"
        note = note or "scored before memdash had a blind baseline: score it again to see one"
        return MembershipVerdict(state, None, None, note, [])
    return MembershipVerdict(blind_state(blind.auc_ci), blind.auc, blind.auc_ci, None, not_beating)


PASTE_COLUMNS = list(AttackTableRow.model_fields)  # the CSV's columns, the JSON's keys


def paste_rows(run_id: int, run_name: str, summary: Measures) -> list[AttackTableRow]:
    """The run's attack table as rows a user pastes beside MIMIR's or Privacy Meter's."""
    blind_auc = summary.get(f"mi_{BLIND}_auc")
    sets = summary.get("mi_sets") or {}
    n = summary.get("mi_n")
    out: list[AttackTableRow] = []
    for row in attack_rows(summary):
        low, high = row.auc_ci if row.auc_ci else (None, None)
        tpr_low, tpr_high = row.tpr_at_1pct_fpr_ci if row.tpr_at_1pct_fpr_ci else (None, None)
        out.append(
            AttackTableRow(
                run_id=run_id,
                run=run_name,
                attack=row.attack,
                label=row.label,
                score=row.score,
                unit=row.unit,
                direction=DIRECTION,
                auc=row.auc,
                auc_low=low,
                auc_high=high,
                tpr_at_1pct_fpr=row.tpr_at_1pct_fpr,
                tpr_at_1pct_fpr_low=tpr_low,
                tpr_at_1pct_fpr_high=tpr_high,
                tpr_at_0p1pct_fpr=row.tpr_at_0p1pct_fpr,
                f1=row.f1,
                n_members=sets.get("n", n),
                n_nonmembers=sets.get("n", n),
                blind_auc=blind_auc,
                beats_blind=row.beats_blind,
            )
        )
    return out
