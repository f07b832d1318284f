"""Checks run before `memdash serve` starts, each failing with one line that names the problem."""

from __future__ import annotations

import errno
import socket
import tempfile
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url


class ConfigError(Exception):
    """A problem with the configuration, explained in one line for the user."""


def check_data_dir(data_dir: Path) -> None:
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".probe-"):
            pass
    except OSError as error:
        raise ConfigError(
            f"data directory {data_dir} is not writable ({error.strerror or error}); "
            "set MEMDASH_DATA_DIR to a writable folder"
        ) from None


def check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise ConfigError(
                    f"port {port} on {host} is already in use; stop the other process "
                    "or choose another with --port / MEMDASH_PORT"
                ) from None
            raise ConfigError(f"cannot listen on {host}:{port}: {error.strerror}") from None


def safe_url(url: str) -> str:
    """The database URL with its password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable URL>"


def check_database(engine: Engine) -> None:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        reason = str(getattr(error, "orig", error)).strip().splitlines()
        raise ConfigError(
            f"cannot reach database {safe_url(str(engine.url))}: "
            f"{reason[0] if reason else type(error).__name__}"
        ) from None
