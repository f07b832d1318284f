"""The command line: `memdash serve`, sweeps, scoring and workers from a shell."""
