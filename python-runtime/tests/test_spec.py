"""The spec file is parsed into the generated RuntimeSpec message and nothing else is checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SPEC_MAX_MESSAGE_BYTES, spec_json

from glia_runtime.errors import SpecError
from glia_runtime.spec import (
    HandlerSpec,
    ModelPath,
    ModelsSpec,
    RuntimeSpec,
    main,
    parse_spec,
    read_spec,
)


def parse(raw: dict) -> RuntimeSpec:
    return parse_spec(json.dumps(raw), "spec.json")


def problems(raw: dict | str) -> str:
    with pytest.raises(SpecError) as caught:
        parse_spec(raw if isinstance(raw, str) else json.dumps(raw), "spec.json")
    message = str(caught.value)
    assert message.startswith("invalid spec file spec.json: ")
    return message


def test_a_python_handler_spec_is_read(tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    config = {"batch": 32, "threshold": 0.5, "nested": {"ids": [1, 2.0, "x", None, True]}}
    raw = spec_json(api="iris", config=config, python_path="src/", log_level="debug")
    path.write_text(json.dumps(raw))
    spec = read_spec(path)
    assert spec == RuntimeSpec(
        "iris", HandlerSpec("handler.py", config, "src/", "debug"), SPEC_MAX_MESSAGE_BYTES
    )
    # json.loads keeps 32 an int and 2.0 a float: configJson exists so that types survive.
    assert type(spec.handler.config["batch"]) is int
    assert [type(v) for v in spec.handler.config["nested"]["ids"][:2]] == [int, float]


def test_empty_strings_mean_none() -> None:
    handler = parse(spec_json()).handler
    assert (handler.python_path, handler.config, handler.type, handler.models) == (
        None,
        {},
        "python",
        None,
    )


def test_the_original_proto_field_names_are_accepted_too() -> None:
    raw = {
        "api": "a",
        "max_message_bytes": 1024,
        "handler": {
            "type": "HANDLER_TYPE_PYTHON",
            "path": "h.py",
            "config_json": "{}",
            "log_level": "LOG_LEVEL_WARNING",
        },
    }
    spec = parse(raw)
    assert (spec.max_message_bytes, spec.handler.log_level) == (1024, "warning")


@pytest.mark.parametrize(
    ("models", "expected"),
    [
        (
            {"path": "saved", "signatureKey": "predict"},
            ModelsSpec(path="saved", signature_key="predict"),
        ),
        ({"dir": "models", "signatureKey": ""}, ModelsSpec(dir="models")),
        (
            {
                "paths": {
                    "entries": [
                        {"name": "a", "path": "m/a", "signatureKey": "k"},
                        {"name": "b-2", "path": "m/b"},
                    ]
                }
            },
            ModelsSpec(paths=(ModelPath("a", "m/a", "k"), ModelPath("b-2", "m/b"))),
        ),
    ],
)
def test_tensorflow_models_are_read(models: dict, expected: ModelsSpec) -> None:
    handler = parse(spec_json(type="tensorflow", models=models)).handler
    assert (handler.type, handler.models) == ("tensorflow", expected)


def test_cortex_yaml_rules_are_not_checked_again() -> None:
    """Which types take models, and model names, are control-plane/config's rules."""
    models = {"paths": {"entries": [{"name": "has space", "path": "m"}] * 2}}
    handler = parse(spec_json(type="python", models=models)).handler
    assert handler.models == ModelsSpec(paths=(ModelPath("has space", "m"),) * 2)


def test_every_missing_required_field_is_named_at_once() -> None:
    message = problems({"handler": {"configJson": "{}"}})
    for part in (
        "api is required",
        "max_message_bytes must be a positive number of bytes, got 0",
        "handler.path is required",
        "handler.log_level is required",
        "handler.type is required",
    ):
        assert part in message


def test_a_missing_handler_is_named() -> None:
    assert "handler is required" in problems({"api": "a", "maxMessageBytes": 1})


@pytest.mark.parametrize(
    ("config_json", "expected"),
    [
        ("[1]", "handler.config_json must be a JSON object, got list"),
        ("", "handler.config_json must be the text of a JSON object: Expecting value"),
        ("{", "handler.config_json must be the text of a JSON object"),
    ],
)
def test_config_json_must_be_a_json_object(config_json: str, expected: str) -> None:
    raw = spec_json()
    raw["handler"]["configJson"] = config_json  # type: ignore[index]
    assert expected in problems(raw)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"future_field": True}, 'no field named "future_field"'),
        ({"handler": {"path": "h.py", "config": {}}}, 'no field named "config"'),
        ({"maxMessageBytes": 2**31}, "maxMessageBytes"),
        ({"maxMessageBytes": True}, "maxMessageBytes"),
        ({"handler": {"type": "HANDLER_TYPE_ONNX"}}, "HANDLER_TYPE_ONNX"),
        ({"handler": {"logLevel": "verbose"}}, "verbose"),
    ],
)
def test_what_is_not_a_runtime_spec_is_refused_naming_it(change: dict, expected: str) -> None:
    assert expected in problems({**spec_json(), **change})


def test_a_model_source_is_required_and_only_one() -> None:
    none = spec_json(type="tensorflow", models={"signatureKey": "k"})
    assert "handler.models: one of path, paths, dir is required" in problems(none)
    two = spec_json(type="tensorflow", models={"path": "a", "dir": "b"})
    assert "oneof" in problems(two)


def test_model_entries_need_a_name_and_a_path() -> None:
    models = {"paths": {"entries": [{"path": "a"}, {"name": "b"}]}}
    message = problems(spec_json(type="tensorflow", models=models))
    assert "handler.models.paths.entries[0].name is required" in message
    assert "handler.models.paths.entries[1].path is required" in message


def test_unreadable_or_invalid_json_file_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read the spec file"):
        read_spec(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(SpecError, match="invalid spec file .*bad.json"):
        read_spec(bad)
    with pytest.raises(SpecError, match="invalid spec file"):
        parse_spec("[]", "s")


def test_main_prints_the_resolved_spec(tmp_path: Path, capsys) -> None:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec_json(config={"k": 1.5})))
    assert main([str(path)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["handler"]["config"] == {"k": 1.5}
    assert printed["max_message_bytes"] == SPEC_MAX_MESSAGE_BYTES
    path.write_text("{}")
    assert main([str(path)]) == 2
    assert "api is required" in capsys.readouterr().err
