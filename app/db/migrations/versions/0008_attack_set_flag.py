"""the membership attack's balanced set, flagged per sample

A run's membership attack compares a balanced set drawn from its members and non-members
(core/stratified.py); `in_attack` marks those samples, so a quantization study pairs its files
over the samples each file's attack used. Rows stored before the flag have none marked.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sample_scores", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("in_attack", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("sample_scores", schema=None) as batch_op:
        batch_op.drop_column("in_attack")
