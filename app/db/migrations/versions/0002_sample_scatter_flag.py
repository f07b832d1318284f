"""scatter flag and indexes on sample_scores, per-split sample counts on evaluations

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 02:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sample_scores", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("in_scatter", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index(
            "ix_sample_scores_scatter",
            ["evaluation_id", "split", "in_scatter", "tfidf", "mem_u_bits"],
            unique=False,
        )
        batch_op.create_index("ix_sample_scores_split_mem", ["split", "mem_u_bits"], unique=False)
        batch_op.create_index("ix_sample_scores_split_tfidf", ["split", "tfidf"], unique=False)
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sample_counts", sa.JSON(), nullable=True))
    # Rows stored before this flag existed are all candidates: the view still keeps only the
    # extremes of each bucket when it draws them (slower on old data, never wrong).
    op.execute(sa.text("UPDATE sample_scores SET in_scatter = true"))


def downgrade() -> None:
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_column("sample_counts")
    with op.batch_alter_table("sample_scores", schema=None) as batch_op:
        batch_op.drop_index("ix_sample_scores_split_tfidf")
        batch_op.drop_index("ix_sample_scores_split_mem")
        batch_op.drop_index("ix_sample_scores_scatter")
        batch_op.drop_column("in_scatter")
