"""Shared fixtures: process-state isolation, handler projects in tmp_path, generated stubs."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from glia_runtime.server import OUTPUT_MARKER

RUNTIME_ROOT = Path(__file__).resolve().parent.parent
# Keep hypothesis's example database beside the tests, whatever the working directory.
set_hypothesis_home_dir(RUNTIME_ROOT / ".hypothesis")
_KEPT_MODULE_ROOTS = tuple(
    str(Path(p).resolve()) + os.sep
    for p in {
        sys.prefix,
        sys.base_prefix,
        RUNTIME_ROOT / "glia_runtime",
        RUNTIME_ROOT / "cortex_internal",
    }
)
_LOGGERS = ("cortex", "glia.runtime")


def load_gen_proto() -> ModuleType:
    """Import scripts/gen_proto.py (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location(
        "gen_proto", RUNTIME_ROOT / "scripts" / "gen_proto.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pytest_configure(config: pytest.Config) -> None:
    """Generate the gRPC stubs when they are missing or stale, before anything imports them."""
    gen_proto = load_gen_proto()
    if not gen_proto.is_up_to_date():
        gen_proto.generate()


def _is_kept(module: ModuleType | None) -> bool:
    filename = getattr(module, "__file__", None)
    if not filename:
        return True
    return str(Path(filename).resolve()).startswith(_KEPT_MODULE_ROOTS)


@pytest.fixture(autouse=True)
def _restore_process_state() -> Iterator[None]:
    """Undo what loading a handler changes: sys.path, user modules, cwd, env, logger levels."""
    saved_path = list(sys.path)
    saved_modules = dict(sys.modules)
    saved_cwd = os.getcwd()
    saved_env = dict(os.environ)
    saved_levels = {name: logging.getLogger(name).level for name in _LOGGERS}
    yield
    sys.path[:] = saved_path
    for name in [n for n in sys.modules if n not in saved_modules]:
        if not _is_kept(sys.modules[name]):
            del sys.modules[name]
    sys.modules.update(saved_modules)
    os.chdir(saved_cwd)
    os.environ.clear()
    os.environ.update(saved_env)
    for name, level in saved_levels.items():
        logging.getLogger(name).setLevel(level)


WriteProject = Callable[..., Path]


@pytest.fixture
def write_project(tmp_path: Path) -> WriteProject:
    """Return a function that writes a handler project into tmp_path and returns its root.

    ``write_project(source, files={"values.json": "{}"}, name="handler.py")``
    """

    def write(source: str, files: dict[str, str] | None = None, name: str = "handler.py") -> Path:
        project = tmp_path / "project"
        project.mkdir(exist_ok=True)
        handler = project / name
        handler.parent.mkdir(parents=True, exist_ok=True)
        handler.write_text(textwrap.dedent(source))
        for rel, text in (files or {}).items():
            (project / rel).parent.mkdir(parents=True, exist_ok=True)
            (project / rel).write_text(textwrap.dedent(text))
        return project

    return write


SPEC_MAX_MESSAGE_BYTES = 128 * 1024 * 1024


def spec_json(
    handler_path: str = "handler.py",
    *,
    api: str = "test-api",
    config: dict[str, object] | None = None,
    python_path: str | None = None,
    log_level: str = "info",
    max_message_bytes: int = SPEC_MAX_MESSAGE_BYTES,
    type: str = "python",
    models: dict[str, object] | None = None,
) -> dict[str, object]:
    """A complete runtime spec, in the proto3 JSON that control-plane/runtime/spec.ts writes."""
    handler: dict[str, object] = {
        "type": f"HANDLER_TYPE_{type.upper()}",
        "path": handler_path,
        "configJson": json.dumps(config or {}),
        "pythonPath": python_path or "",
        "logLevel": f"LOG_LEVEL_{log_level.upper()}",
    }
    if models is not None:
        handler["models"] = models
    return {"api": api, "handler": handler, "maxMessageBytes": max_message_bytes}


def write_spec(path: Path, handler_path: str = "handler.py", **fields: Any) -> Path:
    """Write a runtime spec file; keyword fields are those of :func:`spec_json`."""
    path.write_text(json.dumps(spec_json(handler_path, **fields)))
    return path


def json_lines(text: str) -> list[dict[str, object]]:
    """Parse every non-empty line of ``text`` as a JSON object."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def output_lines(text: str) -> list[dict[str, object]]:
    """The JSON lines of ``text`` without the runtime's per-request marker lines."""
    return [line for line in json_lines(text) if OUTPUT_MARKER not in line]
