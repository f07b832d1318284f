"""The science of SPEC.md as pure functions: numpy/scipy only, no torch, no I/O.

All information quantities are in bits (log base 2). Each function states its formula, units,
source section and conventions. Both the worker and the web (for fits it draws) import these.
"""
