"""Read-only analysis of stored results: summaries, per-run rows, queries."""
