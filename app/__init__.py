"""memdash web server: pages, JSON API, the worker protocol and the job queue (no torch here)."""

__version__ = "0.1.0"
