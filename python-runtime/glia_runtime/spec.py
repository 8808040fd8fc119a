"""The ``--spec`` file: read, checked and resolved into :class:`RuntimeSpec` in one place.

Shape (written by the worker)::

    {"api": "iris",
     "handler": {"path": "handler.py", "config": {...} | null, "python_path": "src/" | null,
                 "log_level": "debug" | "info" | "warning" | "error" | null},
     "max_message_bytes": 67108864}

Unknown keys are ignored, so the worker can add fields before the runtime reads them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glia_runtime.errors import SpecError
from glia_runtime.log import LOG_LEVELS

DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024
# gRPC channel options are C ints.
MAX_MESSAGE_BYTES_LIMIT = 2**31 - 1


@dataclass(frozen=True)
class HandlerSpec:
    """The ``handler`` section, resolved.

    Attributes:
        path: The handler file, relative to the project root.
        config: The ``config`` passed to ``Handler.__init__`` ({} when absent or null).
        python_path: A folder (relative to the project) to put on ``sys.path``, or None.
        log_level: One of ``debug``, ``info``, ``warning``, ``error``.
    """

    path: str
    config: dict[str, Any]
    python_path: str | None
    log_level: str


@dataclass(frozen=True)
class RuntimeSpec:
    """The whole spec, resolved.

    Attributes:
        api: The API name (added to every runtime log line).
        handler: The handler section.
        max_message_bytes: The largest gRPC message sent or received.
    """

    api: str
    handler: HandlerSpec
    max_message_bytes: int


def read_spec(path: Path) -> RuntimeSpec:
    """Read and resolve a spec file.

    Args:
        path: The JSON file.

    Returns:
        The resolved spec.

    Raises:
        SpecError: The file cannot be read, is not JSON, or has invalid fields (all named).
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SpecError(f"cannot read the spec file {path}: {exc}") from exc
    return resolve_spec(raw, str(path))


def resolve_spec(raw: object, source: str) -> RuntimeSpec:
    """Check a parsed spec and fill in defaults.

    Args:
        raw: The parsed JSON.
        source: Where it came from, for messages.

    Returns:
        The resolved spec.

    Raises:
        SpecError: Every problem found, in one message.
    """
    problems: list[str] = []
    top = _object(raw, "the spec", problems)
    handler = _object(top.get("handler"), "handler", problems)
    api = _string(top.get("api"), "api", problems, required=True)
    resolved = HandlerSpec(
        path=_string(handler.get("path"), "handler.path", problems, required=True) or "",
        config=_config(handler.get("config"), problems),
        python_path=_string(handler.get("python_path"), "handler.python_path", problems),
        log_level=_log_level(handler.get("log_level"), problems),
    )
    max_bytes = _max_message_bytes(top.get("max_message_bytes"), problems)
    if problems:
        raise SpecError(f"invalid spec file {source}: " + "; ".join(problems))
    return RuntimeSpec(api=api or "", handler=resolved, max_message_bytes=max_bytes)


def _object(value: object, where: str, problems: list[str]) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    problems.append(f"{where} must be a JSON object, got {_json_type(value)}")
    return {}


def _config(value: object, problems: list[str]) -> dict[str, Any]:
    return {} if value is None else _object(value, "handler.config", problems)


def _string(value: object, where: str, problems: list[str], required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if isinstance(value, str) and value:
        return value
    problems.append(f"{where} must be a non-empty string, got {_json_type(value)}")
    return None


def _log_level(value: object, problems: list[str]) -> str:
    if value is None:
        return "info"
    if isinstance(value, str) and value.lower() in LOG_LEVELS:
        return value.lower()
    problems.append(f"handler.log_level must be one of {', '.join(LOG_LEVELS)}, got {value!r}")
    return "info"


def _max_message_bytes(value: object, problems: list[str]) -> int:
    if value is None:
        return DEFAULT_MAX_MESSAGE_BYTES
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and 0 < value <= MAX_MESSAGE_BYTES_LIMIT
    ):
        return value
    problems.append(
        f"max_message_bytes must be an integer from 1 to {MAX_MESSAGE_BYTES_LIMIT}, got {value!r}"
    )
    return DEFAULT_MAX_MESSAGE_BYTES


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__) if value != "" else "an empty string"
