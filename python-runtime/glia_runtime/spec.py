"""The ``--spec`` file: read, checked and resolved into :class:`RuntimeSpec` in one place.

Shape (written by the worker)::

    {"api": "iris",
     "handler": {"type": "python" | "tensorflow" | null, "path": "handler.py",
                 "config": {...} | null, "python_path": "src/" | null,
                 "log_level": "debug" | "info" | "warning" | "error" | null,
                 "models": null | {"path": "..."} | {"paths": [{"name", "path",
                           "signature_key"?}, ...]} | {"dir": "..."}   (+ "signature_key"?)},
     "max_message_bytes": 67108864}

``models`` is the ``handler.models`` map of cortex.yaml as written: required for the
``tensorflow`` type, refused for ``python``, exactly one of ``path``, ``paths`` and ``dir``.
Unknown keys are ignored, so the worker can add fields before the runtime reads them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glia_runtime.errors import SpecError
from glia_runtime.log import LOG_LEVELS

DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024
# gRPC channel options are C ints.
MAX_MESSAGE_BYTES_LIMIT = 2**31 - 1
HANDLER_TYPES = ("python", "tensorflow")
MODEL_SOURCES = ("path", "paths", "dir")
_MODEL_NAME = re.compile(r"^[a-zA-Z0-9_-]+$")


@dataclass(frozen=True)
class ModelPath:
    """One entry of ``handler.models.paths``.

    Attributes:
        name: The name ``tensorflow_client.predict(..., model_name=...)`` picks it by.
        path: The SavedModel folder, relative to the project root.
        signature_key: The signature to serve, or None for the models-wide default.
    """

    name: str
    path: str
    signature_key: str | None = None


@dataclass(frozen=True)
class ModelsSpec:
    """The ``handler.models`` section, resolved: exactly one of ``path``, ``paths``, ``dir`` is set.

    Attributes:
        path: One SavedModel folder.
        paths: Several named SavedModel folders.
        dir: A folder whose sub-folders are SavedModels, each named after its sub-folder.
        signature_key: The signature served when an entry names none (None: ``serving_default``).
    """

    path: str | None = None
    paths: tuple[ModelPath, ...] = ()
    dir: str | None = None
    signature_key: str | None = None


@dataclass(frozen=True)
class HandlerSpec:
    """The ``handler`` section, resolved.

    Attributes:
        path: The handler file, relative to the project root.
        config: The ``config`` passed to ``Handler.__init__`` ({} when absent or null).
        python_path: A folder (relative to the project) to put on ``sys.path``, or None.
        log_level: One of ``debug``, ``info``, ``warning``, ``error``.
        type: ``python`` or ``tensorflow`` (which ``__init__`` arguments exist).
        models: The SavedModels to load (``tensorflow`` type only; None for ``python``).
    """

    path: str
    config: dict[str, Any]
    python_path: str | None
    log_level: str
    type: str = "python"
    models: ModelsSpec | None = None


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
    handler_type = _handler_type(handler.get("type"), problems)
    resolved = HandlerSpec(
        path=_string(handler.get("path"), "handler.path", problems, required=True) or "",
        config=_config(handler.get("config"), problems),
        python_path=_string(handler.get("python_path"), "handler.python_path", problems),
        log_level=_log_level(handler.get("log_level"), problems),
        type=handler_type,
        models=resolve_models(handler.get("models"), handler_type, problems),
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


def _handler_type(value: object, problems: list[str]) -> str:
    if value is None:
        return "python"
    if isinstance(value, str) and value in HANDLER_TYPES:
        return value
    problems.append(f"handler.type must be one of {', '.join(HANDLER_TYPES)}, got {value!r}")
    return "python"


def resolve_models(value: object, handler_type: str, problems: list[str]) -> ModelsSpec | None:
    """Check ``handler.models`` against the handler type.

    Args:
        value: The ``models`` value of the spec (a JSON object, or null).
        handler_type: The resolved ``handler.type``.
        problems: Where problems are appended, each naming its field.

    Returns:
        The resolved models for the ``tensorflow`` type; None for ``python`` or when invalid.
    """
    if handler_type != "tensorflow":
        if value is not None:
            problems.append(
                f"handler.models is only supported for handler.type tensorflow, not {handler_type}"
            )
        return None
    if value is None:
        problems.append("handler.models must be defined for handler.type tensorflow")
        return None
    if not isinstance(value, dict):
        problems.append(f"handler.models must be a JSON object, got {_json_type(value)}")
        return None
    raw: dict[str, Any] = value
    given = [key for key in MODEL_SOURCES if raw.get(key) not in (None, [])]
    if len(given) != 1:
        problems.append(
            "handler.models must have exactly one of path, paths, dir, got "
            + (", ".join(given) if given else "none")
        )
        return None
    return ModelsSpec(
        path=_location(raw.get("path"), "handler.models.path", problems),
        paths=_model_paths(raw.get("paths"), problems),
        dir=_location(raw.get("dir"), "handler.models.dir", problems),
        signature_key=_string(raw.get("signature_key"), "handler.models.signature_key", problems),
    )


def _location(value: object, where: str, problems: list[str], required: bool = False) -> str | None:
    path = _string(value, where, problems, required)
    if path is not None and "://" in path:
        problems.append(
            f"{where} {path!r} is a URL; models are loaded from the project's files, so put the "
            "SavedModel in the project and give its path relative to the project"
        )
        return None
    return path


def _model_paths(value: object, problems: list[str]) -> tuple[ModelPath, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append(f"handler.models.paths must be a JSON array, got {_json_type(value)}")
        return ()
    resolved: list[ModelPath] = []
    for index, item in enumerate(value):
        entry = _model_path(item, f"handler.models.paths[{index}]", problems)
        if entry is None:
            continue
        if any(seen.name == entry.name for seen in resolved):
            problems.append(
                f"handler.models.paths[{index}].name: more than one model is named {entry.name!r}"
            )
        resolved.append(entry)
    return tuple(resolved)


def _model_path(item: object, where: str, problems: list[str]) -> ModelPath | None:
    if not isinstance(item, dict):
        problems.append(f"{where} must be a JSON object, got {_json_type(item)}")
        return None
    raw: dict[str, Any] = item
    name = _string(raw.get("name"), f"{where}.name", problems, required=True)
    path = _location(raw.get("path"), f"{where}.path", problems, required=True)
    key = _string(raw.get("signature_key"), f"{where}.signature_key", problems)
    if name is not None and not _MODEL_NAME.match(name):
        problems.append(
            f"{where}.name must contain only letters, digits, '-' and '_', got {name!r}"
        )
    if name is None or path is None:
        return None
    return ModelPath(name=name, path=path, signature_key=key)


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
