"""File formats users upload, parsed without torch or I/O so the server can validate them too."""
