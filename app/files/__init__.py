"""Uploaded files: corpora and checkpoints, their storage and deletion."""
