"""Datasets, deterministic by seed: uniform random tokens and tokenized text corpora."""
