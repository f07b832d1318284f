"""the saturation rule counts in bits: stored training parameters lose the per-token threshold

`min_improvement_bits` (a gain per token) gave way to `min_gain_share` (a share of the bits a
run has memorized, the same for every dataset size: worker/saturation.py). Sweeps and jobs
stored with the old knob keep their other parameters and take the new rule's default.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 06:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "min_improvement_bits"


def _without_old(value):
    """The same JSON with the old key removed wherever it sits (train, model, nested)."""
    if isinstance(value, dict):
        return {k: _without_old(v) for k, v in value.items() if k != OLD}
    if isinstance(value, list):
        return [_without_old(v) for v in value]
    return value


def upgrade() -> None:
    bind = op.get_bind()
    for name in ("sweeps", "jobs"):
        table = sa.table(name, sa.column("id", sa.Integer), sa.column("params", sa.JSON))
        for row_id, params in bind.execute(sa.select(table.c.id, table.c.params)).all():
            if params is not None and OLD in str(params):
                bind.execute(
                    table.update().where(table.c.id == row_id).values(params=_without_old(params))
                )


def downgrade() -> None:
    pass  # older versions take their own default for the missing knob
