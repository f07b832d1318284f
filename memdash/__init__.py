"""memdash from Python: `memdash.client.Client` talks to a memdash server (upload checkpoints
and corpora, launch scorings and sweeps, wait, fetch results as rows or DataFrames), and
`memdash.callback.MemdashCallback` scores each checkpoint a transformers Trainer saves."""

from memdash.client import Client, MemdashError

__all__ = ["Client", "MemdashError"]
