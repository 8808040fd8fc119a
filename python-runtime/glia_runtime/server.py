"""The gRPC server (the only module that imports grpc): ``Runtime.Handle`` and ``Runtime.Health``.

Handler calls run one at a time in a single-thread executor, so the event loop keeps answering
``Health`` while a handler works; concurrent ``Handle`` calls queue for that thread. On SIGTERM or
SIGINT the runtime reports NOT_SERVING, refuses new and not-yet-started ``Handle`` calls with
``UNAVAILABLE``, lets the running call finish within the grace period, then stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import stat
import sys
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import grpc

from glia_runtime._pb.glia.runtime.v1 import runtime_pb2, runtime_pb2_grpc
from glia_runtime.invoke import HandlerInvoker, Outcome
from glia_runtime.metrics import MetricsClient

_Status = runtime_pb2.HealthResponse.Status
STOP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGINT)
# Time given to Health calls still open once the handler has drained.
_FINAL_STOP_SECONDS = 1.0


@dataclass(frozen=True)
class ServeOptions:
    """How to serve.

    Attributes:
        socket: The Unix socket path to listen on.
        grace_seconds: How long a running handler call may take to finish after a stop signal.
        max_message_bytes: The largest gRPC message sent or received.
        handler_path: The handler file relative to the project, reported by Health.
    """

    socket: Path
    grace_seconds: float
    max_message_bytes: int
    handler_path: str


def to_response(outcome: Outcome) -> runtime_pb2.HandleResponse:
    """Convert an :class:`Outcome` into a ``HandleResponse``.

    Args:
        outcome: The invoker's outcome.

    Returns:
        The response with ``result_json`` or ``failure`` set, and ``handler_seconds``.
    """
    response = runtime_pb2.HandleResponse(handler_seconds=outcome.handler_seconds)
    if outcome.failure is not None:
        failure = outcome.failure
        response.failure.CopyFrom(
            runtime_pb2.HandlerFailure(
                type=failure.type,
                message=failure.message,
                traceback=failure.traceback,
            )
        )
    else:
        response.result_json = outcome.result_json or b""
    return response


class RuntimeService(runtime_pb2_grpc.RuntimeServicer):
    """Implements the ``Runtime`` service over one :class:`HandlerInvoker`."""

    def __init__(
        self,
        invoker: HandlerInvoker,
        executor: ThreadPoolExecutor,
        handler_path: str,
        logger: logging.Logger,
        metrics: MetricsClient,
    ) -> None:
        """Create the service (status UNSPECIFIED until :meth:`set_serving`).

        Args:
            invoker: Runs requests through the handler.
            executor: The single thread handler calls run on.
            handler_path: Reported by Health.
            logger: The runtime logger.
            metrics: The handler's metrics client, read by the Metrics rpc.
        """
        self._metrics = metrics
        self._invoker = invoker
        self._executor = executor
        self._handler_path = handler_path
        self._logger = logger
        self._status = _Status.STATUS_UNSPECIFIED
        self._stopping = False
        self._pending = 0  # calls queued for or running on the handler thread
        self._idle = asyncio.Event()
        self._idle.set()
        self._abandoned = False
        self._open: set[asyncio.Future[Outcome | None]] = set()  # Handle calls awaiting the thread

    def set_serving(self) -> None:
        """Report SERVING from now on."""
        self._status = _Status.SERVING

    async def Handle(  # named after the rpc
        self,
        request: runtime_pb2.HandleRequest,
        context: grpc.aio.ServicerContext[runtime_pb2.HandleRequest, runtime_pb2.HandleResponse],
    ) -> runtime_pb2.HandleResponse:
        """Run one request on the handler thread (queued behind any running one).

        Args:
            request: The request.
            context: The call context.

        Returns:
            The outcome; aborts with UNAVAILABLE if the runtime is stopping.
        """
        if self._stopping:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "the runtime is stopping")
        outcome = await self._execute(request)
        if isinstance(outcome, str):
            await context.abort(grpc.StatusCode.UNAVAILABLE, outcome)
        return to_response(outcome)

    async def HandleStream(  # named after the rpc
        self,
        request_iterator: AsyncIterator[runtime_pb2.HandleCall],
        context: grpc.aio.ServicerContext[runtime_pb2.HandleCall, runtime_pb2.HandleAnswer],
    ) -> None:
        """Run each call of the stream as ``Handle`` would, answering each once with its id.

        Args:
            request_iterator: The calls, as the worker sends them.
            context: The stream's context; answers are written to it as they are ready.
        """
        answering: set[asyncio.Task[None]] = set()
        writing = asyncio.Lock()  # one write at a time on a stream

        async def answer(call: runtime_pb2.HandleCall) -> None:
            outcome = (
                "the runtime is stopping" if self._stopping else await self._execute(call.request)
            )
            reply = runtime_pb2.HandleAnswer(call_id=call.call_id)
            if isinstance(outcome, str):
                reply.unavailable = outcome
            else:
                reply.response.CopyFrom(to_response(outcome))
            async with writing:
                await context.write(reply)

        try:
            async for call in request_iterator:
                task = asyncio.create_task(answer(call))
                answering.add(task)
                task.add_done_callback(answering.discard)
            await asyncio.gather(*answering)
        finally:
            # The stream is gone (the worker closed it, or stopped): its calls are given up.
            for task in answering:
                task.cancel()

    async def _execute(self, request: runtime_pb2.HandleRequest) -> Outcome | str:
        """Run ``request`` on the handler thread; a str says why it was given up."""
        queued = self._submit(request)
        work = asyncio.wrap_future(queued)
        self._open.add(work)
        if self._logger.isEnabledFor(logging.DEBUG):
            fields = {"request_id": request.request_id, "ahead": self._pending - 1}
            self._logger.debug("request received", extra=fields)
        try:
            # A client cancelling the call cancels this await, and with it a call not started
            # yet; a running one cannot be interrupted, so its result is discarded.
            outcome = await work
        except asyncio.CancelledError:
            if not self._abandoned:
                self._log_cancelled(request, queued)
                raise
            return "the runtime stopped before the handler finished (grace period over)"
        finally:
            self._open.discard(work)
        if outcome is None:
            return "the runtime is stopping; the request was not started"
        return outcome

    def _log_cancelled(
        self, request: runtime_pb2.HandleRequest, queued: Future[Outcome | None]
    ) -> None:
        started = not queued.cancel()  # already cancelled with the await unless it had begun
        fields = {"request_id": request.request_id, "started": started}
        self._logger.debug("request cancelled by its client", extra=fields)

    def _submit(self, request: runtime_pb2.HandleRequest) -> Future[Outcome | None]:
        """Queue ``request`` for the handler thread, counted until the thread is done with it."""
        loop = asyncio.get_running_loop()
        self._pending += 1
        self._idle.clear()
        future = self._executor.submit(self._run, request)
        future.add_done_callback(lambda _: _call_soon(loop, self._work_done))
        return future

    def _work_done(self) -> None:
        self._pending -= 1
        if self._pending == 0:
            self._idle.set()

    def _run(self, request: runtime_pb2.HandleRequest) -> Outcome | None:
        """Runs on the handler thread; None means the runtime stopped before it began."""
        if self._stopping:
            return None
        debug = self._logger.isEnabledFor(logging.DEBUG)  # skip building log fields per request
        fields: dict[str, object] = {"request_id": request.request_id, "attempt": request.attempt}
        if debug:
            started = {"content_type": request.content_type, "payload_bytes": len(request.payload)}
            self._logger.debug("request started", extra={**fields, **started})
        mark_output("start", request.request_id)
        try:
            outcome = self._invoker.invoke(
                request.payload, request.content_type, request.request_id
            )
        finally:
            mark_output("end", request.request_id)
        fields["handler_seconds"] = round(outcome.handler_seconds, 6)
        if outcome.failure is None:
            if debug:
                self._logger.debug("request completed", extra=fields)
        else:
            error = {"type": outcome.failure.type, "message": outcome.failure.message}
            self._logger.info("request failed", extra={**fields, "error": error})
        return outcome

    async def Metrics(  # named after the rpc
        self,
        request: runtime_pb2.MetricsRequest,
        context: grpc.aio.ServicerContext[runtime_pb2.MetricsRequest, runtime_pb2.MetricsResponse],
    ) -> runtime_pb2.MetricsResponse:
        """Return every series the handler recorded with its metrics_client.

        Args:
            request: The (empty) request.
            context: The call context.

        Returns:
            The series as JSON (see ``MetricsClient.snapshot``).
        """
        return runtime_pb2.MetricsResponse(
            series_json=json.dumps(self._metrics.snapshot()).encode()
        )

    async def Health(  # named after the rpc
        self,
        request: runtime_pb2.HealthRequest,
        context: grpc.aio.ServicerContext[runtime_pb2.HealthRequest, runtime_pb2.HealthResponse],
    ) -> runtime_pb2.HealthResponse:
        """Report the runtime's state.

        Args:
            request: The (empty) request.
            context: The call context.

        Returns:
            The status, the process id and the handler path.
        """
        return runtime_pb2.HealthResponse(
            status=self._status, pid=os.getpid(), handler_path=self._handler_path
        )

    async def drain(self, grace_seconds: float, force: asyncio.Event) -> bool:
        """Stop taking requests and wait for the running one.

        Args:
            grace_seconds: The longest wait.
            force: Set to give up waiting at once (a second stop signal).

        Returns:
            True when no handler call is left running.
        """
        self._stopping = True
        self._status = _Status.NOT_SERVING
        waits = [asyncio.ensure_future(self._idle.wait()), asyncio.ensure_future(force.wait())]
        await asyncio.wait(waits, timeout=grace_seconds, return_when=asyncio.FIRST_COMPLETED)
        for wait in waits:
            wait.cancel()
        if self._idle.is_set():
            return True
        self._abandoned = True  # open Handle calls answer UNAVAILABLE now
        for work in list(self._open):
            work.cancel()
        return False


OUTPUT_MARKER = "glia_output"


def mark_output(event: str, request_id: str) -> None:
    """Write a marker line to stdout and stderr around each request.

    The worker reads the runtime's output from pipes, after the fact; the markers tell it, in
    stream order, which request the lines between them belong to. It does not show them.

    Args:
        event: ``"start"`` or ``"end"``.
        request_id: The request.
    """
    line = json.dumps({OUTPUT_MARKER: event, "request_id": request_id}) + "\n"
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(
            Exception
        ):  # a closed or replaced stream must not fail the request
            stream.write(line)
            stream.flush()


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
    with contextlib.suppress(RuntimeError):  # the loop is closed once the runtime has stopped
        loop.call_soon_threadsafe(callback)


class StopSignals:
    """SIGTERM/SIGINT handling: the first signal asks to stop, a second one forces it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        """Install the handlers on ``loop``.

        Args:
            loop: The running event loop.
        """
        self.stop = asyncio.Event()
        self.force = asyncio.Event()
        self.received: str | None = None
        self._loop = loop
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, self._on_signal, sig)

    def _on_signal(self, sig: signal.Signals) -> None:
        if self.stop.is_set():
            self.force.set()
            return
        self.received = sig.name
        self.stop.set()

    def remove(self) -> None:
        """Uninstall the handlers."""
        for sig in STOP_SIGNALS:
            self._loop.remove_signal_handler(sig)


PARENT_WATCH_ENV = "GLIA_PARENT_WATCH"


def watch_parent(
    loop: asyncio.AbstractEventLoop, signals: StopSignals, logger: logging.Logger
) -> None:
    """Stop at once when the worker that started this runtime is gone.

    The worker holds the write end of our stdin and never writes; when it exits, even by
    SIGKILL, stdin reaches end-of-file. Its requests go back to the queue, so there is nothing
    to finish for it.

    Args:
        loop: The running event loop.
        signals: Set (stop and force) when the parent is gone.
        logger: The runtime logger.
    """

    def wait_for_eof() -> None:
        # os.read on the raw descriptor: a daemon thread blocked in sys.stdin's buffered reader
        # would make the interpreter abort at exit ("could not acquire lock").
        with contextlib.suppress(OSError):
            while os.read(0, 4096):
                pass
        _call_soon(loop, gone)

    def gone() -> None:
        logger.warning("the worker that started this runtime is gone; stopping")
        signals.received = signals.received or "parent exited"
        signals.stop.set()
        signals.force.set()

    threading.Thread(target=wait_for_eof, name="glia-parent-watch", daemon=True).start()


def grpc_options(max_message_bytes: int) -> list[tuple[str, int]]:
    """Return the server options that raise gRPC's message size limits.

    Args:
        max_message_bytes: The limit for both directions.

    Returns:
        The option pairs for ``grpc.aio.server``.
    """
    return [
        ("grpc.max_send_message_length", max_message_bytes),
        ("grpc.max_receive_message_length", max_message_bytes),
    ]


def remove_stale_socket(path: Path) -> None:
    """Delete ``path`` if it is a Unix socket left behind (anything else is left alone).

    Args:
        path: The socket path.
    """
    with contextlib.suppress(FileNotFoundError):
        if stat.S_ISSOCK(path.lstat().st_mode):
            path.unlink()


async def serve(
    options: ServeOptions,
    invoker: HandlerInvoker,
    logger: logging.Logger,
    metrics: MetricsClient | None = None,
) -> bool:
    """Serve until a stop signal, then drain.

    Args:
        options: Where and how to serve.
        invoker: Runs requests through the constructed handler.
        logger: The runtime logger.

    Returns:
        True when the stop was clean; False when a handler call was still running after the
        grace period (or a second signal), in which case the handler thread is still busy.
    """
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="glia-handler")
    service = RuntimeService(
        invoker, executor, options.handler_path, logger, metrics or MetricsClient()
    )
    server = grpc.aio.server(options=grpc_options(options.max_message_bytes))
    # The generated *_pb2_grpc module has no type stubs (protoc writes .pyi for *_pb2 only).
    runtime_pb2_grpc.add_RuntimeServicer_to_server(service, server)  # pyright: ignore[reportUnknownMemberType]
    remove_stale_socket(options.socket)
    server.add_insecure_port(f"unix:{options.socket}")
    signals = StopSignals(asyncio.get_running_loop())
    if os.environ.get(PARENT_WATCH_ENV) == "stdin":
        watch_parent(asyncio.get_running_loop(), signals, logger)
    await server.start()
    service.set_serving()
    logger.info("serving", extra={"socket": str(options.socket), "pid": os.getpid()})
    await signals.stop.wait()
    logger.info(
        "stopping", extra={"signal": signals.received, "grace_seconds": options.grace_seconds}
    )
    drained = await service.drain(options.grace_seconds, signals.force)
    await server.stop(_FINAL_STOP_SECONDS)
    signals.remove()
    _finish(executor, invoker, drained)
    remove_stale_socket(options.socket)
    return drained


def _finish(executor: ThreadPoolExecutor, invoker: HandlerInvoker, drained: bool) -> None:
    executor.shutdown(wait=drained, cancel_futures=True)
    if drained:
        invoker.close()
