"""The runtime as the worker sees it: a real process, a real Unix socket, real gRPC calls."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from conftest import RUNTIME_ROOT, json_lines, output_lines, write_spec

from glia_runtime._pb.glia.runtime.v1 import runtime_pb2, runtime_pb2_grpc
from glia_runtime.invoke import Failure, Outcome
from glia_runtime.server import grpc_options, remove_stale_socket, to_response

SERVING = runtime_pb2.HealthResponse.SERVING
NOT_SERVING = runtime_pb2.HealthResponse.NOT_SERVING
CLIENT_OPTIONS = grpc_options(64 * 1024 * 1024)


class Runtime:
    """One ``python -m glia_runtime`` process with a gRPC client for it."""

    def __init__(
        self,
        tmp_path: Path,
        source: str,
        grace: float | None = None,
        socket_path: Path | None = None,
        **spec,
    ) -> None:
        self.project = tmp_path / "project"
        self.project.mkdir(parents=True)
        (self.project / "handler.py").write_text(textwrap.dedent(source))
        (self.project / "values.json").write_text('{"greeting": "hello"}')
        self.socket = socket_path or tmp_path / "rt.sock"
        self.stdout_path = tmp_path / "stdout.log"
        self.stderr_path = tmp_path / "stderr.log"
        self.signals = tmp_path
        spec_file = write_spec(tmp_path / "spec.json", **spec)
        argv = [sys.executable, "-m", "glia_runtime", "--socket", str(self.socket)]
        argv += ["--project", str(self.project), "--spec", str(spec_file)]
        argv += ["--grace", str(grace)] if grace is not None else []
        env = {**os.environ, "PYTHONPATH": str(RUNTIME_ROOT), "SIGNAL_DIR": str(tmp_path)}
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=tmp_path)
        self.channel = grpc.insecure_channel(f"unix:{self.socket}", options=CLIENT_OPTIONS)
        self.stub = runtime_pb2_grpc.RuntimeStub(self.channel)

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text()

    def health(self, timeout: float = 2.0) -> runtime_pb2.HealthResponse:
        return self.stub.Health(runtime_pb2.HealthRequest(), timeout=timeout)

    def wait_serving(self, timeout: float = 20.0) -> runtime_pb2.HealthResponse:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"runtime exited {self.process.returncode}:\n{self.stderr}")
            try:
                response = self.health(timeout=0.5)
                if response.status == SERVING:
                    return response
            except grpc.RpcError:
                pass
            time.sleep(0.05)
        pytest.fail(f"runtime not SERVING after {timeout}s; stderr:\n{self.stderr}")

    def handle(self, payload: bytes = b"", content_type: str = "", request_id: str = "r1", **kw):
        request = runtime_pb2.HandleRequest(
            request_id=request_id, payload=payload, content_type=content_type, attempt=1
        )
        return self.stub.Handle(request, timeout=kw.get("timeout", 20))

    def handle_future(self, payload: bytes = b"", request_id: str = "r1") -> grpc.Future:
        request = runtime_pb2.HandleRequest(request_id=request_id, payload=payload)
        return self.stub.Handle.future(request, timeout=30)

    def wait_for_file(self, name: str, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not (self.signals / name).exists():
            if time.monotonic() > deadline:
                pytest.fail(f"{name} never appeared; stderr:\n{self.stderr}")
            time.sleep(0.02)

    def wait_for_log(self, message: str, request_id: str, timeout: float = 10.0) -> dict:
        """Wait until the runtime has logged ``message`` for ``request_id`` (log level debug)."""
        deadline = time.monotonic() + timeout
        while True:
            for line in output_lines(self.stderr):
                if line.get("message") == message and line.get("request_id") == request_id:
                    return line
            if time.monotonic() > deadline:
                pytest.fail(f"no {message!r} line for {request_id}; stderr:\n{self.stderr}")
            time.sleep(0.02)

    def release(self) -> None:
        (self.signals / "release").write_text("")

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 15.0) -> int:
        self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)

    def close(self) -> None:
        self.channel.close()
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def start(tmp_path: Path) -> Iterator:
    runtimes: list[Runtime] = []

    def start_runtime(source: str, **kw) -> Runtime:
        runtime = Runtime(tmp_path, source, **kw)
        runtimes.append(runtime)
        return runtime

    yield start_runtime
    for runtime in runtimes:
        runtime.close()


ECHO = """
import json, os
from cortex_internal.lib.log import logger

class Handler:
    def __init__(self, config, metrics_client):
        self.config = config
        self.metrics_client = metrics_client
        with open("values.json") as f:
            self.values = json.load(f)

    def handle_async(self, payload, request_id):
        logger.info("received payload", extra={"payload": repr(payload), "request_id": request_id})
        self.metrics_client.increment("handled")
        if isinstance(payload, bytes):
            payload = {"bytes": len(payload)}
        return {"payload": payload, "request_id": request_id, "config": self.config,
                "greeting": self.values["greeting"], "env": os.environ.get("GREETING_ENV")}
"""

BLOCKING = """
import os, time
from pathlib import Path

SIGNALS = Path(os.environ["SIGNAL_DIR"])

class Handler:
    def handle_async(self, payload):
        (SIGNALS / "started").write_text("")
        deadline = time.monotonic() + float(payload or b"20")
        while not (SIGNALS / "release").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        return {"released": (SIGNALS / "release").exists()}
"""


def test_serves_health_and_handle_over_a_unix_socket(start, monkeypatch) -> None:
    monkeypatch.setenv("GREETING_ENV", "from-the-worker")
    runtime = start(ECHO, config={"threshold": 0.5})
    health = runtime.wait_serving()
    assert (health.pid, health.handler_path) == (runtime.process.pid, "handler.py")

    response = runtime.handle(b'{"text": "hi"}', "application/json", request_id="req-42")
    assert response.WhichOneof("outcome") == "result_json"
    assert json.loads(response.result_json) == {
        "payload": {"text": "hi"},
        "request_id": "req-42",
        "config": {"threshold": 0.5},
        "greeting": "hello",
        "env": "from-the-worker",
    }
    assert response.handler_seconds > 0
    text = runtime.handle(b"hello world", "text/plain")
    assert json.loads(text.result_json)["payload"] == "hello world"
    raw = runtime.handle(b"\x00" * 10, "application/octet-stream")
    assert json.loads(raw.result_json)["payload"] == {"bytes": 10}
    assert runtime.stop() == 0

    user_lines = output_lines(runtime.stdout)
    assert [line["message"] for line in user_lines] == ["received payload"] * 3
    assert user_lines[0]["request_id"] == "req-42"
    messages = [line["message"] for line in output_lines(runtime.stderr)]
    assert messages[:2] == ["handler loaded", "serving"]
    assert messages[-2:] == ["stopping", "stopped"]
    assert all(line["api"] == "test-api" for line in output_lines(runtime.stderr))


def test_each_request_s_output_sits_between_its_markers_on_both_streams(start) -> None:
    runtime = start(
        "import sys\n"
        "class Handler:\n"
        "    def handle_async(self, payload, request_id):\n"
        "        print('out', request_id)\n"
        "        print('err', request_id, file=sys.stderr)\n"
        "        return {}\n"
    )
    runtime.wait_serving()
    runtime.handle(request_id="first")
    runtime.handle(request_id="second")
    assert runtime.stop() == 0
    for stream, word in ((runtime.stdout, "out"), (runtime.stderr, "err")):
        lines = [line for line in stream.splitlines() if "glia_output" in line or word in line]
        assert lines[-6:] == [
            '{"glia_output": "start", "request_id": "first"}',
            f"{word} first",
            '{"glia_output": "end", "request_id": "first"}',
            '{"glia_output": "start", "request_id": "second"}',
            f"{word} second",
            '{"glia_output": "end", "request_id": "second"}',
        ]


def test_handler_failures_are_data_not_grpc_errors(start) -> None:
    runtime = start(
        """
        class Handler:
            def handle_async(self, payload):
                if payload == "crash":
                    raise ZeroDivisionError("boom")
                return "not a dict"
        """
    )
    runtime.wait_serving()
    crashed = runtime.handle(b"crash", "text/plain")
    assert crashed.WhichOneof("outcome") == "failure"
    assert (crashed.failure.type, crashed.failure.message) == ("ZeroDivisionError", "boom")
    assert "handler.py" in crashed.failure.traceback
    invalid = runtime.handle(b"x", "text/plain")
    assert invalid.failure.type == "InvalidResultError"
    assert invalid.failure.message == "handle_async must return a JSON-serialisable dict, got str"
    undecodable = runtime.handle(b"{", "application/json")
    assert undecodable.failure.type == "PayloadDecodeError"
    assert undecodable.handler_seconds == 0
    assert runtime.health().status == SERVING


def test_health_answers_while_a_handler_runs(start) -> None:
    runtime = start(BLOCKING)
    runtime.wait_serving()
    pending = runtime.handle_future()
    runtime.wait_for_file("started")
    assert runtime.health(timeout=1.0).status == SERVING
    assert not pending.done()
    runtime.release()
    assert json.loads(pending.result().result_json) == {"released": True}


def test_concurrent_requests_run_one_at_a_time_on_one_thread(start) -> None:
    runtime = start(
        """
        import threading, time

        class Handler:
            def handle_async(self, request_id):
                started = time.monotonic()
                time.sleep(0.15)
                return {"id": request_id, "start": started, "end": time.monotonic(),
                        "thread": threading.get_ident()}
        """
    )
    runtime.wait_serving()
    futures = [runtime.handle_future(request_id=f"r{i}") for i in range(4)]
    results = sorted(
        (json.loads(f.result().result_json) for f in futures), key=lambda r: r["start"]
    )
    assert sorted(r["id"] for r in results) == ["r0", "r1", "r2", "r3"]
    assert len({r["thread"] for r in results}) == 1
    for earlier, later in zip(results, results[1:], strict=False):
        assert earlier["end"] <= later["start"]


def test_handle_stream_answers_each_call_once_with_its_id(start) -> None:
    runtime = start(
        """
        class Handler:
            def handle_async(self, payload, request_id):
                if payload == "boom":
                    raise ValueError("no boom")
                return {"id": request_id, "payload": payload}
        """
    )
    runtime.wait_serving()
    calls = [
        runtime_pb2.HandleCall(
            call_id=10 + i,
            request=runtime_pb2.HandleRequest(
                request_id=f"r{i}", payload=text.encode(), content_type="text/plain", attempt=1
            ),
        )
        for i, text in enumerate(["a", "boom", "c"])
    ]
    answers = {a.call_id: a for a in runtime.stub.HandleStream(iter(calls), timeout=20)}
    assert sorted(answers) == [10, 11, 12]
    assert json.loads(answers[10].response.result_json) == {"id": "r0", "payload": "a"}
    assert answers[11].response.failure.type == "ValueError", "a handler's failure is data here too"
    assert answers[11].response.failure.message == "no boom"
    assert json.loads(answers[12].response.result_json) == {"id": "r2", "payload": "c"}


def test_a_queued_request_whose_client_gave_up_is_never_run(start) -> None:
    runtime = start(
        BLOCKING.replace(
            "    def handle_async(self, payload):\n",
            "    def handle_async(self, payload, request_id):\n"
            "        (SIGNALS / f'ran-{request_id}').write_text('')\n",
        ),
        log_level="debug",
    )
    runtime.wait_serving()
    running = runtime.handle_future(request_id="first")
    runtime.wait_for_file("started")
    impatient = runtime.handle_future(request_id="impatient")
    assert runtime.wait_for_log("request received", "impatient")["ahead"] == 1
    assert impatient.cancel()  # the client gives up while the call waits for the handler
    cancelled = runtime.wait_for_log("request cancelled by its client", "impatient")
    assert cancelled["started"] is False
    runtime.release()
    assert json.loads(running.result().result_json) == {"released": True}
    assert json.loads(runtime.handle(request_id="after").result_json) == {"released": True}
    assert (runtime.signals / "ran-after").exists()
    assert not (runtime.signals / "ran-impatient").exists()


def test_async_def_handle_async_is_served(start) -> None:
    runtime = start(
        """
        import asyncio

        class Handler:
            async def handle_async(self, payload):
                await asyncio.sleep(0.01)
                return {"upper": payload.upper()}
        """
    )
    runtime.wait_serving()
    assert json.loads(runtime.handle(b"abc", "text/plain").result_json) == {"upper": "ABC"}


def test_sigterm_lets_the_running_request_finish(start) -> None:
    runtime = start(BLOCKING, log_level="debug")
    runtime.wait_serving()
    running = runtime.handle_future(request_id="running")
    runtime.wait_for_file("started")
    queued = runtime.handle_future(request_id="queued")
    runtime.wait_for_log("request received", "queued")  # it waits on the runtime, not in transit
    runtime.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    while runtime.health().status != NOT_SERVING:
        assert time.monotonic() < deadline, "never reported NOT_SERVING"
        time.sleep(0.02)
    with pytest.raises(grpc.RpcError) as refused:
        runtime.handle(b"1")
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    runtime.release()
    assert json.loads(running.result().result_json) == {"released": True}
    with pytest.raises(grpc.RpcError) as not_started:
        queued.result()
    assert not_started.value.code() == grpc.StatusCode.UNAVAILABLE
    assert runtime.process.wait(timeout=15) == 0
    assert not runtime.socket.exists()


def test_sigterm_on_a_stream_finishes_the_running_call_and_gives_up_the_rest(start) -> None:
    runtime = start(BLOCKING, log_level="debug")
    runtime.wait_serving()
    stopping = threading.Event()

    def calls():
        yield runtime_pb2.HandleCall(
            call_id=1, request=runtime_pb2.HandleRequest(request_id="running", attempt=1)
        )
        yield runtime_pb2.HandleCall(
            call_id=2, request=runtime_pb2.HandleRequest(request_id="queued", attempt=1)
        )
        stopping.wait(15)  # the runtime is stopping: a call sent now is refused at once
        yield runtime_pb2.HandleCall(
            call_id=3, request=runtime_pb2.HandleRequest(request_id="late", attempt=1)
        )

    answers: dict[int, runtime_pb2.HandleAnswer] = {}
    stream = runtime.stub.HandleStream(calls(), timeout=30)
    reader = threading.Thread(target=lambda: answers.update({a.call_id: a for a in stream}))
    reader.start()
    runtime.wait_for_file("started")
    runtime.wait_for_log("request received", "queued")
    runtime.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    while runtime.health().status != NOT_SERVING:
        assert time.monotonic() < deadline, "never reported NOT_SERVING"
        time.sleep(0.02)
    stopping.set()
    time.sleep(0.3)  # the late call reaches the runtime before the running one ends
    runtime.release()
    reader.join(20)
    assert json.loads(answers[1].response.result_json) == {"released": True}
    assert answers[2].WhichOneof("answer") == "unavailable", "queued behind the running call"
    assert answers[3].WhichOneof("answer") == "unavailable", "sent while stopping"
    assert runtime.process.wait(timeout=15) == 0


def test_a_handler_running_past_the_grace_period_is_abandoned(start) -> None:
    runtime = start(BLOCKING, grace=0.5)
    runtime.wait_serving()
    running = runtime.handle_future()
    runtime.wait_for_file("started")
    began = time.monotonic()
    assert runtime.stop(signal.SIGINT) == 0
    assert time.monotonic() - began < 10
    with pytest.raises(grpc.RpcError) as abandoned:
        running.result()
    assert abandoned.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "grace period over" in abandoned.value.details()
    warning = json_lines(runtime.stderr)[-1]
    assert warning["level"] == "warning"
    assert "still running" in warning["message"]


def test_messages_larger_than_grpc_default_limit_are_accepted(start) -> None:
    runtime = start(
        "class Handler:\n    def handle_async(self, payload):\n"
        "        return {'size': len(payload), 'echo': payload[:10].decode()}\n"
    )
    runtime.wait_serving()
    response = runtime.handle(b"a" * (5 * 1024 * 1024), "application/octet-stream")
    assert json.loads(response.result_json) == {"size": 5 * 1024 * 1024, "echo": "a" * 10}


def test_max_message_bytes_from_the_spec_is_enforced(start) -> None:
    runtime = start(
        "class Handler:\n    def handle_async(self, payload):\n        return {}\n",
        max_message_bytes=1024 * 1024,
    )
    runtime.wait_serving()
    with pytest.raises(grpc.RpcError) as caught:
        runtime.handle(b"a" * (2 * 1024 * 1024))
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_debug_log_level_adds_per_request_lines(start) -> None:
    runtime = start(
        "class Handler:\n    def handle_async(self):\n        return {}\n", log_level="debug"
    )
    runtime.wait_serving()
    runtime.handle(b"abc", "text/plain", request_id="dbg-1")
    assert runtime.stop() == 0
    lines = {line["message"]: line for line in output_lines(runtime.stderr)}
    assert lines["request started"]["request_id"] == "dbg-1"
    assert lines["request started"]["payload_bytes"] == 3
    assert lines["request completed"]["request_id"] == "dbg-1"


def test_load_failure_exits_3_before_listening(start) -> None:
    runtime = start("raise ImportError('torch is not installed')\n")
    assert runtime.process.wait(timeout=20) == 3
    [line] = json_lines(runtime.stderr)
    assert line["level"] == "error"
    assert (
        line["message"] == "handler.py could not be imported: ImportError: torch is not installed"
    )
    assert line["error"]["type"] == "ImportError"
    assert not runtime.socket.exists()


def test_a_stale_socket_is_replaced_but_other_files_are_refused(start, tmp_path) -> None:
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(tmp_path / "rt.sock"))
    stale.close()
    runtime = start("class Handler:\n    def handle_async(self):\n        return {'ok': 1}\n")
    runtime.wait_serving()
    assert json.loads(runtime.handle().result_json) == {"ok": 1}
    assert runtime.stop() == 0
    runtime.close()

    (tmp_path / "rt.sock").write_text("a regular file is in the way")
    second = Runtime(tmp_path / "again", "class Handler:\n    pass\n", socket_path=runtime.socket)
    assert second.process.wait(timeout=20) == 2
    [line] = json_lines(second.stderr)
    assert line["message"].endswith("already exists and is not a socket; remove it")
    second.close()


def test_to_response_sets_exactly_one_outcome() -> None:
    ok = to_response(Outcome(b"{}", None, 0.25))
    assert (ok.WhichOneof("outcome"), ok.result_json, ok.handler_seconds) == (
        "result_json",
        b"{}",
        0.25,
    )
    failed = to_response(Outcome(None, Failure("ValueError", "bad", "tb"), 0.0))
    assert failed.WhichOneof("outcome") == "failure"
    assert (failed.failure.type, failed.failure.message, failed.failure.traceback) == (
        "ValueError",
        "bad",
        "tb",
    )


def test_remove_stale_socket_removes_only_sockets(tmp_path: Path) -> None:
    path = tmp_path / "old.sock"
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(path))
    listener.close()
    remove_stale_socket(path)
    assert not path.exists()
    regular = tmp_path / "file.txt"
    regular.write_text("keep")
    remove_stale_socket(regular)
    assert regular.exists()
    remove_stale_socket(tmp_path / "missing.sock")


def test_runtime_exits_when_its_parent_is_gone(tmp_path: Path) -> None:
    """With GLIA_PARENT_WATCH=stdin, closing stdin (the worker dying) stops the runtime."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "handler.py").write_text(
        "class Handler:\n    def handle_async(self, payload):\n        return {}\n"
    )
    spec = write_spec(tmp_path / "spec.json", api="watch")
    sock = tmp_path / "rt.sock"
    env = {**os.environ, "PYTHONPATH": str(RUNTIME_ROOT), "GLIA_PARENT_WATCH": "stdin"}
    args = [sys.executable, "-m", "glia_runtime", "--socket", str(sock)]
    args += ["--project", str(project), "--spec", str(spec)]
    proc = subprocess.Popen(args, env=env, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not sock.exists():
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the runtime never started serving"
            time.sleep(0.05)
        assert proc.stdin is not None
        proc.stdin.close()
        assert proc.wait(timeout=10) == 0
        assert b"is gone; stopping" in (proc.stderr.read() if proc.stderr else b"")
    finally:
        if proc.poll() is None:
            proc.kill()
