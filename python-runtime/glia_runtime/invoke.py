"""One request through the handler: decode, call ``handle_async``, check and encode the result.

Nothing here knows gRPC: :class:`HandlerInvoker` returns an :class:`Outcome` that ``server.py``
turns into a ``HandleResponse``. A failure in user code, in decoding or in the result is data
(:class:`Failure`), never an exception.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from collections.abc import Awaitable
from dataclasses import dataclass

from glia_runtime.errors import (
    GliaRuntimeError,
    InvalidResultError,
    PayloadDecodeError,
    describe_exception,
)
from glia_runtime.loader import LoadedHandler
from glia_runtime.payload import decode_payload
from glia_runtime.signature import select_args

# Room left in a gRPC message for the fields around result_json.
RESPONSE_OVERHEAD_BYTES = 1024


@dataclass(frozen=True)
class Failure:
    """Why a request failed (mirrors ``HandlerFailure`` in the proto).

    Attributes:
        type: The exception class name, or ``PayloadDecodeError`` / ``InvalidResultError``.
        message: What went wrong.
        traceback: The user's traceback ("" for the runtime's own request errors).
    """

    type: str
    message: str
    traceback: str


@dataclass(frozen=True)
class Outcome:
    """The result of one request: exactly one of ``result_json`` and ``failure`` is set.

    Attributes:
        result_json: The result as UTF-8 JSON bytes.
        failure: The failure.
        handler_seconds: Wall-clock seconds spent in ``handle_async`` (0 if it was not called).
    """

    result_json: bytes | None
    failure: Failure | None
    handler_seconds: float


def failure_from(exc: BaseException) -> Failure:
    """Describe an exception as a request failure.

    Args:
        exc: A user exception, or a :class:`PayloadDecodeError` / :class:`InvalidResultError`.

    Returns:
        The failure; the runtime's own errors carry no traceback (it would show only runtime code).
    """
    info = describe_exception(exc)
    traceback = "" if isinstance(exc, GliaRuntimeError) else info.traceback
    return Failure(type=info.type, message=info.message, traceback=traceback)


def encode_result(result: object, max_bytes: int | None = None) -> bytes:
    """Check that a handler result is a JSON-serialisable dict and encode it.

    Args:
        result: What ``handle_async`` returned.
        max_bytes: The largest encoding allowed, or None for no limit.

    Returns:
        The JSON as UTF-8 bytes (NaN and infinities are rejected, as JSON has none).

    Raises:
        InvalidResultError: The result is not a dict, cannot be serialised, or is too large.
    """
    if not isinstance(result, dict):
        raise InvalidResultError(
            f"handle_async must return a JSON-serialisable dict, got {type(result).__name__}"
        )
    try:
        text = json.dumps(result, allow_nan=False, ensure_ascii=False)
        body = text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: keep them as \\u escapes
        body = json.dumps(result, allow_nan=False).encode("ascii")
    except (TypeError, ValueError, RecursionError) as exc:
        raise InvalidResultError(
            f"handle_async returned a dict that is not JSON-serialisable: {exc}"
        ) from exc
    if max_bytes is not None and len(body) > max_bytes:
        raise InvalidResultError(
            f"the result is {len(body)} bytes of JSON, more than the {max_bytes} bytes allowed "
            "(max_message_bytes)"
        )
    return body


class HandlerInvoker:
    """Calls one loaded Handler; meant to be used from a single thread at a time.

    An ``async def handle_async`` runs on an event loop owned by that thread, created on first
    use and kept, so objects bound to it survive between requests.
    """

    def __init__(self, loaded: LoadedHandler, max_result_bytes: int | None = None) -> None:
        """Create the invoker.

        Args:
            loaded: The constructed handler.
            max_result_bytes: The largest result JSON allowed, or None for no limit.
        """
        self._loaded = loaded
        self._method = getattr(loaded.instance, "handle_async")  # noqa: B009 - checked by signature
        self._max_result_bytes = max_result_bytes
        self._loop: asyncio.AbstractEventLoop | None = None

    def invoke(self, payload: bytes, content_type: str, request_id: str) -> Outcome:
        """Run one request.

        Args:
            payload: The raw request body.
            content_type: Its Content-Type ("" when none).
            request_id: The request id.

        Returns:
            The outcome: the encoded result, or a failure.
        """
        try:
            decoded = decode_payload(payload, content_type)
        except PayloadDecodeError as exc:
            return Outcome(None, failure_from(exc), 0.0)
        kwargs = select_args(
            self._loaded.signature.handle_args, {"payload": decoded, "request_id": request_id}
        )
        started = time.perf_counter()
        try:
            result = self._call(kwargs)
        except BaseException as exc:  # noqa: B036 - any user failure is data, even SystemExit
            return Outcome(None, failure_from(exc), time.perf_counter() - started)
        seconds = time.perf_counter() - started
        try:
            return Outcome(encode_result(result, self._max_result_bytes), None, seconds)
        except InvalidResultError as exc:
            return Outcome(None, failure_from(exc), seconds)

    def _call(self, kwargs: dict[str, object]) -> object:
        result = self._method(**kwargs)
        if inspect.isawaitable(result):
            return self._event_loop().run_until_complete(_await(result))
        return result

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
        return self._loop

    def close(self) -> None:
        """Close the event loop used for ``async def`` handlers, if one was made."""
        if self._loop is not None and not self._loop.is_running():
            self._loop.close()


async def _await(awaitable: Awaitable[object]) -> object:
    return await awaitable
