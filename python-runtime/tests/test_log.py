from __future__ import annotations

import json
import logging
import math
import os
import re

import pytest
from conftest import json_lines

from glia_runtime.log import (
    MAX_LINE_BYTES,
    CortexJsonFormatter,
    CortexLogger,
    RuntimeJsonFormatter,
    configure_runtime_logging,
    parse_level,
    split_extra,
    to_jsonable,
)


def make_record(
    msg: str = "hello", level: int = logging.INFO, **extra: object
) -> logging.LogRecord:
    record = logging.LogRecord("glia.runtime", level, __file__, 1, msg, (), None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_runtime_formatter_writes_time_level_message_context_and_extras() -> None:
    line = json.loads(
        RuntimeJsonFormatter({"api": "iris"}).format(make_record(request_id="r1", seconds=0.5))
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line.pop("time"))
    assert line == {
        "level": "info",
        "message": "hello",
        "api": "iris",
        "request_id": "r1",
        "seconds": 0.5,
    }


def test_runtime_formatter_renders_non_json_values_as_strings() -> None:
    line = json.loads(RuntimeJsonFormatter().format(make_record(path=object, nan=math.nan)))
    assert line["path"] == "<class 'object'>"
    assert line["nan"] == "nan"


def test_configure_runtime_logging_writes_json_lines_to_stderr_only(capsys) -> None:
    root_handlers = list(logging.getLogger().handlers)
    logger = configure_runtime_logging(logging.DEBUG, api="iris")
    logger.debug("request started", extra={"request_id": "abc"})
    configure_runtime_logging(logging.INFO, api="iris").debug("hidden")
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = json_lines(captured.err)
    assert (line["level"], line["message"], line["api"], line["request_id"]) == (
        "debug",
        "request started",
        "iris",
        "abc",
    )
    assert logging.getLogger().handlers == root_handlers
    assert logger.propagate is False


@pytest.mark.parametrize(
    ("name", "level"),
    [(None, logging.INFO), ("debug", logging.DEBUG), ("WARNING", logging.WARNING)],
)
def test_parse_level(name, level) -> None:
    assert parse_level(name) == level


def test_parse_level_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="unknown log level 'verbose'"):
        parse_level("verbose")


def test_to_jsonable_converts_nested_values() -> None:
    value = {"a": (1, 2.5, math.inf), 3: {"b": b"x"}, "c": None}
    assert to_jsonable(value) == {"a": [1, 2.5, "inf"], "3": {"b": "b'x'"}, "c": None}


def test_to_jsonable_survives_cycles_and_broken_str() -> None:
    class Broken:
        def __str__(self) -> str:
            raise RuntimeError("no")

    cycle: list = []
    cycle.append(cycle)
    json.dumps(to_jsonable(cycle))
    assert to_jsonable(Broken()) == "<unprintable Broken: RuntimeError>"


def cortex_logger(name: str = "cortex-test") -> tuple[CortexLogger, list[str]]:
    logger = CortexLogger(name)
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect()
    handler.setFormatter(CortexJsonFormatter())
    logger.addHandler(handler)
    return logger, lines


def test_cortex_format_has_default_fields_and_flattened_extra() -> None:
    logger, lines = cortex_logger()
    logger.info("received payload", extra={"payload": "this movie is awesome", "n": {"k": [1]}})
    line = json.loads(lines[0])
    assert list(line)[:4] == ["asctime", "levelname", "message", "process"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}", line["asctime"])
    assert line["levelname"] == "INFO"
    assert line["message"] == "received payload"
    assert isinstance(line["process"], int)
    assert line["payload"] == "this movie is awesome"
    assert line["n"] == {"k": [1]}
    assert "glia_warning" not in line


def test_cortex_extra_with_reserved_keys_is_dropped_and_reported() -> None:
    logger, lines = cortex_logger()
    logger.warning(
        "x", extra={"message": "evil", "process": 1, "labels": {}, "asctime": 0, "ok": 1}
    )
    line = json.loads(lines[0])
    assert line["message"] == "x"
    assert line["process"] == os.getpid()
    assert isinstance(line["asctime"], str)
    assert "labels" not in line
    assert line["ok"] == 1
    assert line["glia_warning"] == (
        "reserved keys in extra were dropped: asctime, labels, message, process"
    )


def test_cortex_extra_keys_that_clash_with_record_attributes_are_kept() -> None:
    logger, lines = cortex_logger()
    logger.info("x", extra={"name": "bob", "filename": "a.csv", "args": [1]})
    line = json.loads(lines[0])
    assert (line["name"], line["filename"], line["args"]) == ("bob", "a.csv", [1])


def test_cortex_extra_that_is_not_a_dict_is_reported_not_raised() -> None:
    logger, lines = cortex_logger()
    logger.info("x", extra=["payload"])  # type: ignore[arg-type]
    assert json.loads(lines[0])["glia_warning"] == "extra must be a dict, got list; it was dropped"


def test_cortex_non_json_values_are_rendered_with_str() -> None:
    logger, lines = cortex_logger()
    logger.info("x", extra={"blob": b"\x00", "set": {1}})
    line = json.loads(lines[0])
    assert (line["blob"], line["set"]) == ("b'\\x00'", "{1}")


def test_cortex_exception_info_is_included() -> None:
    logger, lines = cortex_logger()
    try:
        raise KeyError("missing")
    except KeyError:
        logger.exception("lookup failed")
    line = json.loads(lines[0])
    assert line["levelname"] == "ERROR"
    assert "KeyError: 'missing'" in line["exc_info"]


def test_cortex_line_over_five_mib_is_replaced_by_a_warning() -> None:
    logger, lines = cortex_logger()
    logger.info("big", extra={"blob": "a" * MAX_LINE_BYTES})
    line = json.loads(lines[0])
    assert len(lines[0]) < 1000
    assert line["levelname"] == "WARNING"
    assert re.fullmatch(
        r"a log line of (\d+) bytes was dropped; the limit is 5242880 bytes", line["message"]
    )
    assert int(re.findall(r"\d+", line["message"])[0]) > MAX_LINE_BYTES


def test_cortex_line_just_under_the_limit_is_written() -> None:
    logger, lines = cortex_logger()
    logger.info("fits", extra={"blob": "a" * (MAX_LINE_BYTES - 200)})
    assert json.loads(lines[0])["message"] == "fits"


def test_split_extra() -> None:
    assert split_extra(None) == ({}, None)
    assert split_extra({"a": 1}) == ({"a": 1}, None)
    kept, warning = split_extra({"levelname": "x", "b": 2})
    assert kept == {"b": 2}
    assert warning == "reserved keys in extra were dropped: levelname"
