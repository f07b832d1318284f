"""What a sweep kind is (SweepKind), the jobs it plans (PlannedJob, SweepPlan) and the table
of kinds (KINDS) that `register` fills; app/kinds/__init__.py names the kinds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from memdash.app.db.models import Run, Sweep
from memdash.app.kinds.launch_form import LaunchForm
from memdash.app.kinds.stored_summary import StoredSummary
from memdash.core.edges import JSONObject


@dataclass(frozen=True)
class PlannedJob:
    """A job a kind wants queued, as data: kinds plan, app/jobs/launcher.py and the lifecycle
    (app/jobs/queue.py) enqueue, so no kind imports the queue."""

    kind: str
    params: BaseModel
    idempotency_key: str | None = None
    priority: int = 0
    run_id: int | None = None


@dataclass(frozen=True)
class SweepPlan:
    """What a launch made: the sweep and its runs (in the session) and the jobs to queue."""

    sweep: Sweep
    jobs: list[PlannedJob]


Launch = Callable[[Session, Any, str | None], SweepPlan]
Summarize = Callable[[Session, list[Run]], JSONObject]
# Called when all of a sweep's jobs have succeeded, before it is summarized: the jobs of its
# next pass (the sweep goes on; e.g. a capacity sweep's second pass around its peaks), or none.
FollowUp = Callable[[Session, Sweep, list[Run]], list[PlannedJob]]
# At most how many runs the follow-up may still add (0 once it has run): the sweep's progress
# counts them from the start, so it never falls when they are queued.
RunsToCome = Callable[[Sweep, list[Run]], int]


class LaunchRejected(Exception):
    """The parameters are valid but this installation cannot launch them (a message)."""


@dataclass(frozen=True)
class SweepKind:
    name: str  # the URL part and `Sweep.kind`: /api/sweeps/{name}
    title: str  # "capacity sweep"
    summarize: Summarize
    job_kinds: tuple[str, ...]
    params_model: type[BaseModel] | None = None  # None: launched elsewhere (scoring)
    presets: dict[str, JSONObject] = field(default_factory=dict)
    preset_notes: dict[str, str] = field(default_factory=dict)  # one line per preset
    launch: Launch | None = None  # raises LaunchRejected with a message
    follow_up: FollowUp | None = None
    runs_to_come: RunsToCome | None = None
    # The sweep page: figures drawn on it ((element key, figure view name)) and page sections
    # by name (app/views/sweep_sections.py); it links every view whose `kinds` name this kind.
    figures: tuple[tuple[str, str], ...] = ()
    sections: tuple[str, ...] = ()
    # Its own sections of the sweep page: a Jinja template in the kind's folder (page.html),
    # rendered inside the sweep page with its context (app/web/templating.py loads it).
    page: Path | None = None
    # Its summary's model (kind folder's document.py): what `summarize` returns is checked
    # against it and stored with its version; readers go through kinds.read_summary.
    summary_model: type[StoredSummary] | None = None
    # Its launch form on the overview (the kind folder's form.py and form.html); a kind without
    # one is launched over the API only.
    form: LaunchForm | None = None

    @property
    def launchable(self) -> bool:
        return self.params_model is not None and self.launch is not None

    def params(self, preset: str | None, overrides: JSONObject) -> BaseModel:
        """The preset's parameters with `overrides` on top, validated (ValueError if not)."""
        if self.params_model is None:
            raise ValueError(f"{self.title}s are not launched from parameters")
        if preset is not None and preset not in self.presets:
            raise ValueError(
                f"unknown preset {preset[:40]!r}; choose one of {sorted(self.presets)}"
            )
        return self.params_model(**{**(self.presets[preset] if preset else {}), **overrides})


KINDS: dict[str, SweepKind] = {}


def register(kind: SweepKind) -> SweepKind:
    if kind.name in KINDS and KINDS[kind.name] is not kind:
        raise ValueError(f"sweep kind {kind.name!r} is registered twice")
    KINDS[kind.name] = kind
    return kind


def new_sweep(session: Session, kind: str, params: BaseModel, preset: str | None) -> Sweep:
    """The sweep row a launch starts from (queued, with its validated parameters)."""
    sweep = Sweep(
        name=getattr(params, "name", kind),
        kind=kind,
        preset=preset,
        params=params.model_dump(mode="json"),
        status="queued",
    )
    session.add(sweep)
    session.flush()
    return sweep


def kind_of(sweep: Sweep) -> SweepKind | None:
    return KINDS.get(sweep.kind)
