"""The ``--spec`` file: a ``RuntimeSpec`` message of runtime.proto, as proto3 JSON.

The worker builds it (``control-plane/runtime/spec.ts``) from a ``cortex.yaml`` that
``control-plane/config`` has already checked, with every default filled in, e.g.::

    {"api": "iris", "maxMessageBytes": 134217728,
     "handler": {"type": "HANDLER_TYPE_TENSORFLOW", "path": "handler.py",
                 "configJson": "{\\"batch\\": 8}", "pythonPath": "src/",
                 "logLevel": "LOG_LEVEL_INFO",
                 "models": {"paths": {"entries": [{"name": "a", "path": "models/a",
                                                   "signatureKey": ""}]},
                            "signatureKey": ""}}}

This module only parses it: unknown fields are refused, a required field left empty is named,
and ``configJson`` must be the text of a JSON object. The rules of ``cortex.yaml`` (which types
take models, model names, defaults) are not checked again here; they live in TypeScript. The
result is converted into the frozen dataclasses the loader reads.

``python -m glia_runtime.spec FILE`` prints what a spec file resolves to, as JSON.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from google.protobuf import json_format
from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

from glia_runtime._pb.glia.runtime.v1 import runtime_pb2
from glia_runtime.errors import SpecError


@dataclass(frozen=True)
class ModelPath:
    """One entry of ``handler.models.paths``.

    Attributes:
        name: The name ``tensorflow_client.predict(..., model_name=...)`` picks it by.
        path: The SavedModel folder, relative to the project root or absolute (a fetched copy).
        signature_key: The signature to serve, or None for the models-wide default.
    """

    name: str
    path: str
    signature_key: str | None = None


@dataclass(frozen=True)
class ModelsSpec:
    """The ``handler.models`` section: exactly one of ``path``, ``paths``, ``dir`` is set.

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
    """The ``handler`` section.

    Attributes:
        path: The handler file, relative to the project root.
        config: The ``config`` passed to ``Handler.__init__``.
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
    """The whole spec.

    Attributes:
        api: The API name (added to every runtime log line).
        handler: The handler section.
        max_message_bytes: The largest gRPC message sent or received.
    """

    api: str
    handler: HandlerSpec
    max_message_bytes: int


def read_spec(path: Path) -> RuntimeSpec:
    """Read and parse a spec file.

    Args:
        path: The proto3 JSON file.

    Returns:
        The spec.

    Raises:
        SpecError: The file cannot be read or is not a complete ``RuntimeSpec`` (all named).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise SpecError(f"cannot read the spec file {path}: {exc}") from exc
    return parse_spec(text, str(path))


def parse_spec(text: str, source: str) -> RuntimeSpec:
    """Parse the proto3 JSON text of a ``RuntimeSpec``.

    Args:
        text: The JSON text.
        source: Where it came from, for messages.

    Returns:
        The spec.

    Raises:
        SpecError: The text is not a ``RuntimeSpec`` (unknown field, wrong type), or a required
            field is missing; every missing field is named in one message.
    """
    message = runtime_pb2.RuntimeSpec()
    try:
        json_format.Parse(text, message)
    except json_format.ParseError as exc:
        raise SpecError(f"invalid spec file {source}: {exc}") from exc
    problems: list[str] = []
    spec = from_message(message, problems)
    if problems:
        raise SpecError(f"invalid spec file {source}: " + "; ".join(problems))
    return spec


def from_message(message: runtime_pb2.RuntimeSpec, problems: list[str]) -> RuntimeSpec:
    """Convert a parsed message, naming each required field it leaves empty.

    Args:
        message: The parsed ``RuntimeSpec``.
        problems: Where problems are appended.

    Returns:
        The spec (meaningful only when no problem was appended).
    """
    _require(message.api, "api", problems)
    if message.max_message_bytes <= 0:
        problems.append(
            f"max_message_bytes must be a positive number of bytes, got {message.max_message_bytes}"
        )
    if not message.HasField("handler"):
        problems.append("handler is required")
    return RuntimeSpec(
        api=message.api,
        handler=_handler(message.handler, problems),
        max_message_bytes=message.max_message_bytes,
    )


def _handler(handler: runtime_pb2.HandlerSpec, problems: list[str]) -> HandlerSpec:
    _require(handler.path, "handler.path", problems)
    return HandlerSpec(
        path=handler.path,
        config=_config(handler.config_json, problems),
        python_path=handler.python_path or None,
        log_level=_enum_name(
            runtime_pb2.LogLevel, handler.log_level, "handler.log_level", problems
        ),
        type=_enum_name(runtime_pb2.HandlerType, handler.type, "handler.type", problems),
        models=_models(handler.models, problems) if handler.HasField("models") else None,
    )


def _require(value: str, where: str, problems: list[str]) -> None:
    if not value:
        problems.append(f"{where} is required")


def _config(text: str, problems: list[str]) -> dict[str, Any]:
    try:
        config: object = json.loads(text)
    except ValueError as exc:
        problems.append(f"handler.config_json must be the text of a JSON object: {exc}")
        return {}
    if isinstance(config, dict):
        return cast("dict[str, Any]", config)  # json.loads makes every object key a str
    problems.append(f"handler.config_json must be a JSON object, got {type(config).__name__}")
    return {}


def _enum_name(enum: EnumTypeWrapper, value: int, where: str, problems: list[str]) -> str:
    """``LOG_LEVEL_DEBUG`` -> ``debug``: the value's name without the enum's prefix, lower case."""
    if value == 0:
        problems.append(f"{where} is required")
        return ""
    if value not in enum.values():
        problems.append(f"{where} {value} is not a {enum.DESCRIPTOR.name}")
        return ""
    prefix = enum.Name(0).removesuffix("UNSPECIFIED")
    return enum.Name(value).removeprefix(prefix).lower()


def _models(models: runtime_pb2.ModelsSpec, problems: list[str]) -> ModelsSpec:
    source = models.WhichOneof("source")
    signature_key = models.signature_key or None
    if source == "path":
        return ModelsSpec(path=models.path, signature_key=signature_key)
    if source == "dir":
        return ModelsSpec(dir=models.dir, signature_key=signature_key)
    if source is None:
        problems.append("handler.models: one of path, paths, dir is required")
        return ModelsSpec(signature_key=signature_key)
    entries = models.paths.entries
    for index, entry in enumerate(entries):
        _require(entry.name, f"handler.models.paths.entries[{index}].name", problems)
        _require(entry.path, f"handler.models.paths.entries[{index}].path", problems)
    paths = tuple(ModelPath(e.name, e.path, e.signature_key or None) for e in entries)
    return ModelsSpec(paths=paths, signature_key=signature_key)


def main(argv: list[str] | None = None) -> int:
    """Print what a spec file resolves to, as one JSON object on stdout.

    Args:
        argv: ``[FILE]``; None for ``sys.argv[1:]``.

    Returns:
        0, or 2 with the problem on stderr when the file is not a valid spec.
    """
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m glia_runtime.spec FILE", file=sys.stderr)
        return 2
    try:
        spec = read_spec(Path(args[0]))
    except SpecError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(json.dumps(dataclasses.asdict(spec)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
