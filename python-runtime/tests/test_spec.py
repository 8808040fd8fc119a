from __future__ import annotations

import json
from pathlib import Path

import pytest

from glia_runtime.errors import SpecError
from glia_runtime.spec import (
    DEFAULT_MAX_MESSAGE_BYTES,
    HandlerSpec,
    ModelPath,
    ModelsSpec,
    read_spec,
    resolve_spec,
)


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


def tf_spec(models: object, **handler: object) -> dict:
    return {
        "api": "a",
        "handler": {"path": "h.py", "type": "tensorflow", "models": models, **handler},
    }


def spec_problems(raw: dict) -> str:
    with pytest.raises(SpecError) as caught:
        resolve_spec(raw, "s")
    return str(caught.value)


def test_handler_type_defaults_to_python_without_models() -> None:
    handler = resolve_spec({"api": "a", "handler": {"path": "h.py"}}, "s").handler
    assert (handler.type, handler.models) == ("python", None)


def test_tensorflow_models_path_is_resolved() -> None:
    handler = resolve_spec(tf_spec({"path": "saved", "signature_key": "predict"}), "s").handler
    assert handler.type == "tensorflow"
    assert handler.models == ModelsSpec(path="saved", signature_key="predict")


def test_tensorflow_models_paths_and_dir_are_resolved() -> None:
    paths = [{"name": "a", "path": "m/a", "signature_key": "k"}, {"name": "b-2", "path": "m/b"}]
    models = resolve_spec(tf_spec({"paths": paths}), "s").handler.models
    assert models == ModelsSpec(paths=(ModelPath("a", "m/a", "k"), ModelPath("b-2", "m/b")))
    assert resolve_spec(tf_spec({"dir": "models"}), "s").handler.models == ModelsSpec(dir="models")


def test_tensorflow_type_requires_models() -> None:
    assert "handler.models must be defined for handler.type tensorflow" in spec_problems(
        tf_spec(None)
    )


def test_python_type_refuses_models() -> None:
    raw = {"api": "a", "handler": {"path": "h.py", "type": "python", "models": {"path": "m"}}}
    assert "handler.models is only supported for handler.type tensorflow, not python" in (
        spec_problems(raw)
    )


def test_unknown_handler_type_is_refused() -> None:
    raw = {"api": "a", "handler": {"path": "h.py", "type": "onnx"}}
    assert "handler.type must be one of python, tensorflow, got 'onnx'" in spec_problems(raw)


@pytest.mark.parametrize(
    ("models", "given"),
    [
        ({}, "none"),
        ({"paths": []}, "none"),
        ({"path": "a", "dir": "b"}, "path, dir"),
        ({"path": "a", "paths": [{"name": "n", "path": "p"}], "dir": "b"}, "path, paths, dir"),
    ],
)
def test_exactly_one_model_source_is_required(models: dict, given: str) -> None:
    assert f"handler.models must have exactly one of path, paths, dir, got {given}" in (
        spec_problems(tf_spec(models))
    )


def test_models_that_is_not_an_object_is_refused() -> None:
    assert "handler.models must be a JSON object, got an array" in spec_problems(tf_spec([]))


def test_every_bad_models_paths_entry_is_reported() -> None:
    paths = [
        {"name": "ok", "path": "a"},
        {"name": "ok", "path": "b"},
        {"name": "has space", "path": "c"},
        {"path": "d"},
        {"name": "e", "path": "", "signature_key": 3},
        "f",
    ]
    message = spec_problems(tf_spec({"paths": paths}))
    for part in (
        "handler.models.paths[1].name: more than one model is named 'ok'",
        "handler.models.paths[2].name must contain only letters, digits, '-' and '_', "
        "got 'has space'",
        "handler.models.paths[3].name must be a non-empty string, got null",
        "handler.models.paths[4].path must be a non-empty string, got an empty string",
        "handler.models.paths[4].signature_key must be a non-empty string, got a number",
        "handler.models.paths[5] must be a JSON object, got a string",
    ):
        assert part in message


def test_models_paths_that_is_not_a_list_is_refused() -> None:
    message = spec_problems(tf_spec({"paths": {"name": "a"}}))
    assert "handler.models.paths must be a JSON array, got an object" in message


@pytest.mark.parametrize("field", ["path", "dir"])
def test_model_urls_are_refused(field: str) -> None:
    message = spec_problems(tf_spec({field: "s3://bucket/model"}))
    assert f"handler.models.{field} 's3://bucket/model' is a URL" in message
    assert "relative to the project" in message
