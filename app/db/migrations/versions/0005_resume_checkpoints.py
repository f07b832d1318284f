"""resume checkpoints are not models: their own format, and only the ones a job can still use

Training jobs stored their resume points with format "memdash", which is also the format of an
LM2's final model, so /checkpoints and the scoring form listed them as models. They move to
format "resume"; those no job can resume from any more (superseded by a later one, or of a job
that succeeded) are removed with their files.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 05:00:00
"""

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

checkpoints = sa.table(
    "checkpoints",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("format", sa.String),
    sa.column("storage_path", sa.String),
)
jobs = sa.table(
    "jobs",
    sa.column("id", sa.Integer),
    sa.column("state", sa.String),
    sa.column("resume_checkpoint_id", sa.Integer),
)


def upgrade() -> None:
    bind = op.get_bind()
    bind.execute(
        checkpoints.update()
        .where(checkpoints.c.kind == "trained", checkpoints.c.storage_path.like("%.pt"))
        .values(format="resume")
    )
    bind.execute(
        jobs.update()
        .where(jobs.c.state == "succeeded", jobs.c.resume_checkpoint_id.is_not(None))
        .values(resume_checkpoint_id=None)
    )
    in_use = sa.select(jobs.c.resume_checkpoint_id).where(jobs.c.resume_checkpoint_id.is_not(None))
    stale = bind.execute(
        sa.select(checkpoints.c.id, checkpoints.c.storage_path).where(
            checkpoints.c.format == "resume", checkpoints.c.id.not_in(in_use)
        )
    ).all()
    if stale:
        bind.execute(checkpoints.delete().where(checkpoints.c.id.in_([i for i, _ in stale])))
    kept = set(bind.scalars(sa.select(checkpoints.c.storage_path)))
    for _, path in stale:
        if path not in kept:
            Path(path).unlink(missing_ok=True)


def downgrade() -> None:
    op.get_bind().execute(
        checkpoints.update().where(checkpoints.c.format == "resume").values(format="memdash")
    )
