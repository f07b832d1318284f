"""Persistence: ORM models, engine/session factory, migrations, and the job queue."""
