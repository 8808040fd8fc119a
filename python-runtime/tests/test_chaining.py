"""api-<name> host names resolve to the local internal listener, with port 8888 mapped."""

from __future__ import annotations

import http.server
import socket
import threading
import urllib.request
from collections.abc import Iterator

import pytest

from glia_runtime import chaining


@pytest.fixture(autouse=True)
def restore_socket() -> Iterator[None]:
    saved = (socket.getaddrinfo, socket.gethostbyname, socket.gethostbyname_ex)
    yield
    socket.getaddrinfo, socket.gethostbyname, socket.gethostbyname_ex = saved


@pytest.fixture
def listener() -> Iterator[tuple[int, list[str]]]:
    hosts: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            hosts.append(self.headers["Host"])
            body = b'{"ok": true}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hosts
    server.shutdown()
    server.server_close()


def test_api_hosts_reach_the_internal_listener_and_keep_their_host_header(
    listener: tuple[int, list[str]],
) -> None:
    port, hosts = listener
    chaining.install(f"127.0.0.1:{port}")
    with urllib.request.urlopen("http://api-text-generator:8888/some-id", timeout=5) as res:
        assert res.read() == b'{"ok": true}'
    assert hosts == ["api-text-generator:8888"]


def test_other_hosts_and_ports_resolve_as_before() -> None:
    chaining.install("127.0.0.1:9")
    assert socket.getaddrinfo("localhost", 80)[0][4][1] == 80
    assert socket.getaddrinfo("api-x", 8000)[0][4] == ("127.0.0.1", 8000)
    assert socket.getaddrinfo("api-x", 8888)[0][4] == ("127.0.0.1", 9)
    assert socket.gethostbyname("api-x") == "127.0.0.1"


@pytest.mark.parametrize("host", ["api-a", "API-B", b"api-c-1", "api-x.y"])
def test_is_api_host(host: str | bytes) -> None:
    assert chaining.is_api_host(host) == (host != "api-x.y")


@pytest.mark.parametrize("address", ["", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:x", ":80"])
def test_bad_addresses_are_refused(address: str) -> None:
    with pytest.raises(ValueError, match="GLIA_CHAIN_ADDRESS"):
        chaining.parse_address(address)
