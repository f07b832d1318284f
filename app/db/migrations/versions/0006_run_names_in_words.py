"""run names in words: "L1-d32, N 64, seed 0" instead of "L1-d32 N=64 seed=0"

Names are what legends, pickers and tables show; `key=value` read as an internal name there.
Runs named by older versions are renamed the way new sweeps name theirs.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 05:40:00
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

runs = sa.table("runs", sa.column("id", sa.Integer), sa.column("name", sa.String))
OLD = re.compile(r"^(?P<key>\S+) N=(?P<n>\d+)(?: seed[= ](?P<seed>\d+))?$")


def renamed(name: str) -> str | None:
    match = OLD.match(name)
    if match is None:
        return None
    new = f"{match['key']}, N {int(match['n']):,}"
    return new + (f", seed {match['seed']}" if match["seed"] is not None else "")


def upgrade() -> None:
    bind = op.get_bind()
    for run_id, name in bind.execute(sa.select(runs.c.id, runs.c.name)).all():
        if (new := renamed(name or "")) is not None:
            bind.execute(runs.update().where(runs.c.id == run_id).values(name=new))


def downgrade() -> None:
    pass  # the old names carried nothing the new ones lack
