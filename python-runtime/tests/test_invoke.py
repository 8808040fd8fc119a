from __future__ import annotations

import json

import pytest
from conftest import WriteProject

from glia_runtime.errors import InvalidResultError
from glia_runtime.invoke import HandlerInvoker, Outcome, encode_result
from glia_runtime.loader import load_handler
from glia_runtime.metrics import MetricsClient
from glia_runtime.spec import HandlerSpec


@pytest.fixture
def make_invoker(write_project: WriteProject):
    def make(source: str, max_result_bytes: int | None = None) -> HandlerInvoker:
        project = write_project(source)
        spec = HandlerSpec(path="handler.py", config={}, python_path=None, log_level="info")
        return HandlerInvoker(load_handler(project, spec, MetricsClient()), max_result_bytes)

    return make


def result_of(outcome: Outcome) -> dict:
    assert outcome.failure is None, outcome.failure
    assert outcome.result_json is not None
    return json.loads(outcome.result_json)


ECHO = """
class Handler:
    def handle_async(self, payload, request_id):
        kind = type(payload).__name__
        shown = payload.hex() if isinstance(payload, bytes) else payload
        return {"kind": kind, "payload": shown, "request_id": request_id}
"""


def test_json_payload_and_request_id_are_passed(make_invoker) -> None:
    outcome = make_invoker(ECHO).invoke(b'{"key": "value"}', "application/json", "req-1")
    assert result_of(outcome) == {
        "kind": "dict",
        "payload": {"key": "value"},
        "request_id": "req-1",
    }
    assert outcome.handler_seconds > 0


def test_text_and_bytes_payloads_are_passed_as_str_and_bytes(make_invoker) -> None:
    invoker = make_invoker(ECHO)
    text = result_of(invoker.invoke("hé".encode(), "text/plain", "r"))
    assert (text["kind"], text["payload"]) == ("str", "hé")
    raw = result_of(invoker.invoke(b"\x00\xff", "", "r"))
    assert (raw["kind"], raw["payload"]) == ("bytes", "00ff")


def test_only_declared_arguments_are_passed(make_invoker) -> None:
    invoker = make_invoker(
        """
        class Handler:
            def handle_async(self, request_id):
                return {"request_id": request_id}
        """
    )
    assert result_of(invoker.invoke(b"ignored", "text/plain", "abc")) == {"request_id": "abc"}


def test_async_handle_async_runs_on_one_persistent_loop(make_invoker) -> None:
    invoker = make_invoker(
        """
        import asyncio

        class Handler:
            def __init__(self):
                self.loops = []

            async def handle_async(self, payload):
                await asyncio.sleep(0)
                self.loops.append(id(asyncio.get_running_loop()))
                return {"double": payload * 2, "distinct_loops": len(set(self.loops))}
        """
    )
    assert result_of(invoker.invoke(b"21", "application/json", "a")) == {
        "double": 42,
        "distinct_loops": 1,
    }
    assert result_of(invoker.invoke(b"1", "application/json", "b"))["distinct_loops"] == 1
    invoker.close()


def test_user_exception_becomes_a_failure_with_the_user_traceback(make_invoker) -> None:
    invoker = make_invoker(
        """
        class Handler:
            def handle_async(self, payload):
                return self.score(payload)

            def score(self, payload):
                raise ValueError(f"bad input: {payload!r}")
        """
    )
    outcome = invoker.invoke(b"x", "text/plain", "r")
    assert outcome.result_json is None
    failure = outcome.failure
    assert failure is not None
    assert (failure.type, failure.message) == ("ValueError", "bad input: 'x'")
    assert 'handler.py", line 4, in handle_async' in failure.traceback
    assert "in score" in failure.traceback
    assert "glia_runtime" not in failure.traceback
    assert outcome.handler_seconds > 0


def test_system_exit_in_the_handler_is_a_failure_not_an_exit(make_invoker) -> None:
    invoker = make_invoker(
        "import sys\nclass Handler:\n    def handle_async(self):\n        sys.exit(2)\n"
    )
    failure = invoker.invoke(b"", "", "r").failure
    assert failure is not None and failure.type == "SystemExit"


def test_decode_failure_does_not_call_the_handler(make_invoker) -> None:
    invoker = make_invoker(
        """
        class Handler:
            def handle_async(self, payload):
                raise AssertionError("must not be called")
        """
    )
    outcome = invoker.invoke(b"{not json", "application/json", "r")
    assert outcome.failure is not None
    assert outcome.failure.type == "PayloadDecodeError"
    assert outcome.failure.message.startswith("the payload could not be decoded as JSON")
    assert outcome.failure.traceback == ""
    assert outcome.handler_seconds == 0.0


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        ("None", "handle_async must return a JSON-serialisable dict, got NoneType"),
        ("[1, 2]", "handle_async must return a JSON-serialisable dict, got list"),
        ("'ok'", "handle_async must return a JSON-serialisable dict, got str"),
        ("{'x': Array()}", "Object of type Array is not JSON serializable"),
        ("{'x': float('nan')}", "Out of range float values are not JSON compliant"),
        ("{(1, 2): 'tuple key'}", "keys must be str, int, float, bool or None, not tuple"),
    ],
)
def test_invalid_results_become_invalid_result_failures(make_invoker, returned, message) -> None:
    invoker = make_invoker(
        f"""
        class Array:
            pass

        class Handler:
            def handle_async(self):
                return {returned}
        """
    )
    outcome = invoker.invoke(b"", "", "r")
    assert outcome.failure is not None
    assert outcome.failure.type == "InvalidResultError"
    assert message in outcome.failure.message
    assert outcome.handler_seconds > 0


def test_result_over_the_size_limit_is_an_invalid_result(make_invoker) -> None:
    invoker = make_invoker(
        "class Handler:\n    def handle_async(self):\n        return {'x': 'a' * 200}\n",
        max_result_bytes=100,
    )
    failure = invoker.invoke(b"", "", "r").failure
    assert failure is not None and "more than the 100 bytes allowed" in failure.message


def test_encode_result_is_utf8_json() -> None:
    assert encode_result({"text": "héllo", "n": 1}) == '{"text": "héllo", "n": 1}'.encode()


def test_encode_result_keeps_lone_surrogates_as_escapes() -> None:
    assert json.loads(encode_result({"s": "\udc80"})) == {"s": "\udc80"}


def test_encode_result_accepts_dict_subclasses_and_non_str_keys() -> None:
    from collections import OrderedDict

    assert json.loads(encode_result(OrderedDict([(1, True)]))) == {"1": True}


def test_encode_result_rejects_circular_structures() -> None:
    loop: dict = {}
    loop["self"] = loop
    with pytest.raises(InvalidResultError, match="Circular reference detected"):
        encode_result(loop)
