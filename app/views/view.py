"""What a figure view is (View) and what building one gives (Built): the data twins, the
figure, tables and notes. Each view is declared beside its builder in app/views/builders/;
app/views/registry.py lists them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import plotly.graph_objects as go
from sqlalchemy.orm import Session

from memdash.app.figures.style import titled
from memdash.app.views.state import LINE_GROUP_KEYS, ViewState
from memdash.core.edges import JSONObject, TableRow


@dataclass
class Built:
    rows: list[TableRow]  # the plotted data: the JSON and CSV twins
    figure: go.Figure | None
    tables: dict[str, list[TableRow]] = field(default_factory=dict)
    total: int = 0  # samples in all (paged tables)
    notes: list[str] = field(default_factory=list)
    table_titles: dict[str, str] = field(default_factory=dict)  # a table's heading, by its key


@dataclass(frozen=True)
class View:
    name: str
    title: str
    explain: str
    source: str
    controls: tuple[str, ...]
    build: Callable[[Session, ViewState], Built]
    defaults: JSONObject = field(default_factory=dict)
    # The section of the measures page (/docs/measures#...) that defines what it shows.
    measure: str = ""
    # The sweep kinds it draws: their sweep pages link it (declared here only), and with
    # nothing chosen it opens on the latest sweep of these.
    kinds: tuple[str, ...] = ()
    # What "Group by" offers (with "group_by" among the controls); the first is the default
    # when the view's defaults name none.
    group_keys: tuple[str, ...] = LINE_GROUP_KEYS
    # What a run must have stored to be drawn here, in words (for "nothing to draw" reasons).
    needs: str = "the results this figure shows"
    # Drawn from the sweeps' summaries, which exist once a sweep's last run has finished.
    from_summary: bool = False
    # What "Metric" offers (with "metric" among the controls): (value, words), the first the
    # default unless the view's defaults name another. With `only_these_metrics`, any other is
    # refused (422); else a stored metric's own name is drawn too (training curves).
    metrics: tuple[tuple[str, str], ...] = ()
    only_these_metrics: bool = False

    def state_defaults(self) -> JSONObject:
        """What an address without these parameters means: the view's defaults, grouping by
        its first group key unless they say otherwise."""
        return {"group_by": self.group_keys[0], **self.defaults}


def titled_axes(figure: go.Figure, state: ViewState, x_title: str, y_title: str) -> go.Figure:
    return titled(figure, x_title, y_title, state.log_x, state.log_y)
