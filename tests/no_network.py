"""No test reaches the network (there is none where CI runs, and memdash must never download at
run time unasked): every test process refuses a connection or a name lookup to anything but this
machine, records the attempt, and the test that made it fails (tests/conftest.py)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

LOCAL_NAMES = {"localhost", "localhost.localdomain", "", None}


def _local_host(host: Any) -> bool:
    if host in LOCAL_NAMES or (isinstance(host, str) and host.endswith(".localhost")):
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    try:
        address = ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:
        return str(host) == socket.gethostname()
    return address.is_loopback or address.is_unspecified


@contextmanager
def refused_outside(attempts: list[str]) -> Iterator[None]:
    """Within: a connection or lookup beyond this machine raises ConnectionRefusedError and is
    appended to `attempts`."""
    connect: Callable[..., Any] = socket.socket.connect
    connect_ex: Callable[..., Any] = socket.socket.connect_ex
    getaddrinfo = socket.getaddrinfo

    def allowed(sock: socket.socket, address: Any) -> bool:
        return sock.family not in (socket.AF_INET, socket.AF_INET6) or _local_host(address[0])

    def guarded_connect(sock: socket.socket, address: Any) -> Any:
        if not allowed(sock, address):
            attempts.append(f"connect {address}")
            raise ConnectionRefusedError(f"tests never reach the network ({address})")
        return connect(sock, address)

    def guarded_connect_ex(sock: socket.socket, address: Any) -> Any:
        if not allowed(sock, address):
            attempts.append(f"connect {address}")
            raise ConnectionRefusedError(f"tests never reach the network ({address})")
        return connect_ex(sock, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _local_host(host):
            attempts.append(f"lookup {host}")
            raise socket.gaierror(socket.EAI_NONAME, f"tests never reach the network ({host})")
        return getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = guarded_getaddrinfo  # type: ignore[assignment]
    try:
        yield
    finally:
        socket.socket.connect = connect  # type: ignore[method-assign]
        socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = getaddrinfo
