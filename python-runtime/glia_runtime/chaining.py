"""Chaining APIs locally: ``http://api-<name>:8888/`` reaches glia without DNS or /etc/hosts.

In a cluster ``api-<name>`` is a Kubernetes Service and DNS answers. Locally the worker sets
``GLIA_CHAIN_ADDRESS=host:port`` (the gateway's internal listener) and the runtime resolves
every ``api-*`` host name to it, mapping port 8888 to that port. The ``Host`` header a client
sends still names the API, which is how the internal listener routes. Because ``requests``,
``httpx``, ``urllib`` and asyncio all resolve through :func:`socket.getaddrinfo`, handler code
is the same in both places.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from typing import TypeVar

_T = TypeVar("_T")
_AddrInfo = tuple[
    socket.AddressFamily,
    socket.SocketKind,
    int,
    str,
    tuple[str, int] | tuple[str, int, int, int] | tuple[int, bytes],
]
_GetAddrInfo = Callable[..., list[_AddrInfo]]

CHAIN_ADDRESS_ENV = "GLIA_CHAIN_ADDRESS"
CHAIN_PORT = 8888
_API_HOST = re.compile(r"^api-[a-z]([-a-z0-9]*[a-z0-9])?$")


def parse_address(address: str) -> tuple[str, int]:
    """Split ``host:port``.

    Args:
        address: The value of ``GLIA_CHAIN_ADDRESS``.

    Returns:
        The host and the port.

    Raises:
        ValueError: When it is not ``host:port`` with a port from 1 to 65535.
    """
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{CHAIN_ADDRESS_ENV} must be host:port, got {address!r}")
    return host, int(port)


def is_api_host(host: object) -> bool:
    """Whether ``host`` names a glia API (``api-<name>``)."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    return isinstance(host, str) and bool(_API_HOST.match(host.lower()))


def install(address: str) -> None:
    """Resolve ``api-*`` host names to ``address`` for everything in this process.

    Args:
        address: ``host:port`` of the internal listener.
    """
    target_host, target_port = parse_address(address)
    socket.getaddrinfo = _wrap_getaddrinfo(socket.getaddrinfo, target_host, target_port)
    socket.gethostbyname = _wrap_by_name(socket.gethostbyname, target_host)
    socket.gethostbyname_ex = _wrap_by_name(socket.gethostbyname_ex, target_host)


_Name = str | bytes | None
_Service = str | bytes | int | None


def _wrap_getaddrinfo(original: _GetAddrInfo, host: str, port: int) -> _GetAddrInfo:
    def getaddrinfo(name: _Name, service: _Service, *args: int, **kwargs: int) -> list[_AddrInfo]:
        if not is_api_host(name):
            return original(name, service, *args, **kwargs)
        mapped = port if str(service) == str(CHAIN_PORT) else service
        return original(host, mapped, *args, **kwargs)

    return getaddrinfo


def _wrap_by_name(original: Callable[[str], _T], host: str) -> Callable[[str], _T]:
    def by_name(name: str) -> _T:
        return original(host if is_api_host(name) else name)

    return by_name
