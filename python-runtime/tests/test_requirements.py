"""The runtime installs only what it needs into every handler environment: no framework."""

from __future__ import annotations

from conftest import RUNTIME_ROOT


def _pins(name: str) -> dict[str, str]:
    lines = (RUNTIME_ROOT / name).read_text().splitlines()
    pins = [line.split("#")[0].strip() for line in lines]
    return dict(pin.split("==") for pin in pins if pin)


def test_the_runtime_lock_pins_grpc_and_protobuf_only() -> None:
    assert set(_pins("requirements.lock")) == {"grpcio", "protobuf", "typing_extensions"}


def test_every_runtime_pin_is_exact_and_grpcio_matches_the_stub_generator() -> None:
    runtime, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    assert all(version for version in runtime.values())
    assert runtime["grpcio"] == dev["grpcio-tools"]
