from __future__ import annotations

import logging

from conftest import json_lines

from cortex_internal.lib.log import logger
from glia_runtime.log import make_cortex_logger


def test_logger_is_the_stdlib_logger_named_cortex() -> None:
    assert isinstance(logger, logging.Logger)
    assert logger.name == "cortex"
    assert logging.getLogger("cortex") is logger
    assert logger.propagate is False


def test_logger_writes_one_json_object_per_line_to_stdout(capsys) -> None:
    logger.setLevel(logging.INFO)
    logger.info("received payload", extra={"payload": "this movie is awesome"})
    logger.debug("not shown at info")
    captured = capsys.readouterr()
    assert captured.err == ""
    [line] = json_lines(captured.out)
    assert line["message"] == "received payload"
    assert line["payload"] == "this movie is awesome"
    assert line["levelname"] == "INFO"


def test_reserved_extra_keys_never_raise_into_the_handler(capsys) -> None:
    logger.setLevel(logging.INFO)
    logger.info("x", extra={"message": "m", "asctime": "t", "process": 0, "levelname": "l"})
    [line] = json_lines(capsys.readouterr().out)
    assert line["message"] == "x"
    assert "asctime, levelname, message, process" in line["glia_warning"]


def test_level_set_on_the_logger_filters_lines(capsys) -> None:
    logger.setLevel(logging.WARNING)
    logger.info("hidden")
    logger.warning("shown")
    assert [line["message"] for line in json_lines(capsys.readouterr().out)] == ["shown"]


def test_making_the_logger_again_adds_no_second_handler() -> None:
    before = list(logger.handlers)
    assert make_cortex_logger() is logger
    assert logger.handlers == before


def test_a_cortex_logger_created_before_import_is_upgraded(tmp_path) -> None:
    import json
    import subprocess
    import sys

    from conftest import RUNTIME_ROOT

    code = (
        "import logging; logging.getLogger('cortex')\n"
        "from cortex_internal.lib.log import logger\n"
        "logger.info('x', extra={'message': 'clash', 'name': 'kept'})\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=RUNTIME_ROOT, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    line = json.loads(done.stdout)
    assert (line["message"], line["name"]) == ("x", "kept")
    assert "message" in line["glia_warning"]
