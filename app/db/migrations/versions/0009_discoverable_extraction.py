"""(n, p)-discoverable extraction per sample

log10 p_s of a sample's continuation after k = 8, 16, 32 tokens under top-k sampling (SPEC 13,
core/metrics/discoverable.py). Rows stored before have none (NULL: not measured).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 01:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("discover_8", "discover_16", "discover_32")


def upgrade() -> None:
    with op.batch_alter_table("sample_scores", schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sample_scores", schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.drop_column(name)
