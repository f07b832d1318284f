"""The `memdash` command. A client-only install (`pip install memdash`) has no server
packages: the command says which extra to add instead of a traceback."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from memdash.app.cli.main import main as run
    except ModuleNotFoundError as missing:
        if (missing.name or "").split(".")[0] == "memdash":
            raise
        sys.exit(
            f"memdash: the command needs the server's packages ({missing.name} is not "
            "installed): pip install 'memdash[server]' (or 'memdash[worker]' to run models)"
        )
    run()
