from __future__ import annotations

import json
from pathlib import Path

import pytest

from glia_runtime.errors import SpecError
from glia_runtime.spec import DEFAULT_MAX_MESSAGE_BYTES, HandlerSpec, read_spec, resolve_spec


def test_full_spec_is_resolved(tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    path.write_text(
        json.dumps(
            {
                "api": "iris",
                "handler": {
                    "path": "handler.py",
                    "config": {"k": [1]},
                    "python_path": "src/",
                    "log_level": "DEBUG",
                },
                "max_message_bytes": 1024,
                "future_field": True,
            }
        )
    )
    spec = read_spec(path)
    assert spec.api == "iris"
    assert spec.handler == HandlerSpec("handler.py", {"k": [1]}, "src/", "debug")
    assert spec.max_message_bytes == 1024


def test_defaults_are_filled_in() -> None:
    spec = resolve_spec({"api": "a", "handler": {"path": "h.py", "config": None}}, "spec.json")
    assert spec.handler == HandlerSpec("h.py", {}, None, "info")
    assert spec.max_message_bytes == DEFAULT_MAX_MESSAGE_BYTES


def test_every_problem_is_reported_at_once() -> None:
    raw = {
        "api": "",
        "handler": {"config": [1], "python_path": 3, "log_level": "verbose"},
        "max_message_bytes": 0,
    }
    with pytest.raises(SpecError) as caught:
        resolve_spec(raw, "spec.json")
    message = str(caught.value)
    assert message.startswith("invalid spec file spec.json: ")
    for part in (
        "api must be a non-empty string, got an empty string",
        "handler.path must be a non-empty string, got null",
        "handler.config must be a JSON object, got an array",
        "handler.python_path must be a non-empty string, got a number",
        "handler.log_level must be one of debug, info, warning, error, got 'verbose'",
        "max_message_bytes must be an integer from 1 to 2147483647, got 0",
    ):
        assert part in message


@pytest.mark.parametrize("raw", [[], None, "spec"])
def test_spec_that_is_not_an_object_is_refused(raw) -> None:
    with pytest.raises(SpecError, match="the spec must be a JSON object"):
        resolve_spec(raw, "s")


def test_booleans_are_not_sizes() -> None:
    with pytest.raises(SpecError, match="max_message_bytes"):
        resolve_spec({"api": "a", "handler": {"path": "h.py"}, "max_message_bytes": True}, "s")


def test_unreadable_or_invalid_json_file_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read the spec file"):
        read_spec(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(SpecError, match="cannot read the spec file .*bad.json"):
        read_spec(bad)
