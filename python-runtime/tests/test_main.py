"""The command line's failure paths, run in-process (serving is covered by test_server.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import WriteProject, json_lines, write_spec

from glia_runtime.__main__ import (
    EXIT_CRASH,
    EXIT_LOAD_FAILED,
    EXIT_USAGE,
    check_socket_path,
    main,
    parse_args,
)
from glia_runtime.errors import SpecError


def run_main(project: Path, spec: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list]:
    socket = project.parent / "rt.sock"
    code = main(["--socket", str(socket), "--project", str(project), "--spec", str(spec)])
    return code, json_lines(capsys.readouterr().err)


def single_error(lines: list[dict]) -> dict:
    assert len(lines) == 1, lines
    assert lines[0]["level"] == "error"
    return lines[0]


def test_import_failure_exits_3_with_one_json_line(write_project: WriteProject, capsys) -> None:
    project = write_project("import not_installed_package_xyz\n")
    spec = write_spec(project.parent / "spec.json")
    code, lines = run_main(project, spec, capsys)
    assert code == EXIT_LOAD_FAILED == 3
    line = single_error(lines)
    assert line["message"] == (
        "handler.py could not be imported: ModuleNotFoundError: "
        "No module named 'not_installed_package_xyz'"
    )
    assert line["api"] == "test-api"
    assert line["exit_code"] == 3
    assert line["handler_path"] == "handler.py"
    assert line["error"]["type"] == "ModuleNotFoundError"
    assert line["error"]["message"] == "No module named 'not_installed_package_xyz'"
    assert 'handler.py", line 1, in <module>' in line["error"]["traceback"]


def test_missing_handler_class_exits_3(write_project: WriteProject, capsys) -> None:
    project = write_project("class Predictor:\n    pass\n")
    code, lines = run_main(project, write_spec(project.parent / "spec.json"), capsys)
    assert code == 3
    line = single_error(lines)
    assert line["message"].startswith("handler.py does not define a class named Handler; ")
    assert line["error"]["type"] == "HandlerLoadError"
    assert line["error"]["traceback"] == ""


def test_bad_signature_exits_3_naming_the_parameter(write_project: WriteProject, capsys) -> None:
    project = write_project(
        "class Handler:\n    def handle_async(self, payload, query):\n        return {}\n"
    )
    code, lines = run_main(project, write_spec(project.parent / "spec.json"), capsys)
    assert code == 3
    message = single_error(lines)["message"]
    assert "Handler.handle_async has a parameter named `query`; allowed: payload, request_id" in (
        message
    )


def test_init_raising_exits_3_with_the_user_traceback(write_project: WriteProject, capsys) -> None:
    project = write_project(
        """
        class Handler:
            def __init__(self, config):
                raise RuntimeError(f"cannot load {config['model']}")

            def handle_async(self):
                return {}
        """
    )
    spec = write_spec(project.parent / "spec.json", config={"model": "m.bin"})
    code, lines = run_main(project, spec, capsys)
    assert code == 3
    line = single_error(lines)
    assert line["message"] == "handler.py: Handler.__init__ raised RuntimeError: cannot load m.bin"
    assert line["error"]["type"] == "RuntimeError"
    assert "in __init__" in line["error"]["traceback"]


def test_missing_python_path_exits_3_naming_it(write_project: WriteProject, capsys) -> None:
    project = write_project("class Handler:\n    def handle_async(self):\n        return {}\n")
    spec = write_spec(project.parent / "spec.json", python_path="vendor/")
    code, lines = run_main(project, spec, capsys)
    assert code == 3
    assert "handler.python_path 'vendor/'" in single_error(lines)["message"]


def test_invalid_spec_exits_2_with_one_json_line(tmp_path: Path, capsys) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text('{"api": "a", "handler": {}}')
    code, lines = run_main(tmp_path, spec, capsys)
    assert code == EXIT_USAGE == 2
    line = single_error(lines)
    assert "handler.path is required" in line["message"]
    assert line["error"]["type"] == "SpecError"


def test_an_unexpected_failure_exits_1_with_the_full_traceback(
    write_project: WriteProject, capsys, monkeypatch
) -> None:
    import glia_runtime.__main__ as cli

    def broken_serve(*args: object) -> bool:
        raise OSError("disk on fire")

    monkeypatch.setattr(cli, "serve", broken_serve)
    project = write_project("class Handler:\n    def handle_async(self):\n        return {}\n")
    code, lines = run_main(project, write_spec(project.parent / "spec.json"), capsys)
    assert code == EXIT_CRASH == 1
    assert [line["message"] for line in lines[:-1]] == ["handler loaded"]
    line = lines[-1]
    assert line["level"] == "error"
    assert line["message"] == "the runtime failed: OSError: disk on fire"
    assert line["exit_code"] == 1
    assert "__main__.py" in line["error"]["traceback"]
    assert "OSError: disk on fire" in line["error"]["traceback"]


def test_missing_arguments_exit_2_via_argparse(capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--socket", "/tmp/x.sock"])
    assert caught.value.code == 2
    assert "--project" in capsys.readouterr().err


@pytest.mark.parametrize("grace", ["-1", "inf", "soon"])
def test_grace_must_be_a_finite_non_negative_number(grace: str) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--socket", "s", "--project", "p", "--spec", "f", "--grace", grace])


def test_grace_defaults_to_30_seconds() -> None:
    assert parse_args(["--socket", "s", "--project", "p", "--spec", "f"]).grace == 30.0
    assert (
        parse_args(["--socket", "s", "--project", "p", "--spec", "f", "--grace", "2.5"]).grace
        == 2.5
    )


def test_socket_path_too_long_or_without_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="Unix socket paths are limited to 107 bytes"):
        check_socket_path(tmp_path / ("s" * 120))
    with pytest.raises(SpecError, match="does not exist"):
        check_socket_path(tmp_path / "missing" / "rt.sock")
    (tmp_path / "taken").mkdir()
    with pytest.raises(SpecError, match="already exists and is not a socket"):
        check_socket_path(tmp_path / "taken")
    check_socket_path(tmp_path / "rt.sock")
