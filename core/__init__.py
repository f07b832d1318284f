"""Pure code shared by the server and the worker: the job contract, parameters, metrics and
file formats. No torch, no I/O, no web."""
