"""The runtime's error classes and the helpers that turn exceptions into data.

Two families: :class:`SpecError` and :class:`HandlerLoadError` stop the runtime before it serves
(exit codes 2 and 3); :class:`PayloadDecodeError` and :class:`InvalidResultError` belong to one
request and travel back to the worker as a ``HandlerFailure``, like the handler's own exceptions.
:class:`ModelInputError` and :class:`UnknownModelError` are raised by ``tensorflow_client.predict``
into the handler's own code, so they end the request ``failed`` like its exceptions and are not
:class:`GliaRuntimeError` (whose tracebacks are dropped): the logged traceback shows the handler's
call.
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass
from pathlib import Path

_PACKAGE_DIR = str(Path(__file__).resolve().parent) + os.sep


class GliaRuntimeError(Exception):
    """Base class of every error the runtime raises itself."""


class SpecError(GliaRuntimeError):
    """The ``--spec`` file or the command-line arguments are invalid (exit code 2)."""


class HandlerLoadError(GliaRuntimeError):
    """The user's handler could not be imported, checked or constructed (exit code 3).

    The original exception, when there is one, is the ``__cause__``.
    """


class PayloadDecodeError(GliaRuntimeError):
    """A request body could not be decoded according to its Content-Type."""


class InvalidResultError(GliaRuntimeError):
    """``handle_async`` returned something that is not a JSON-serialisable dict."""


class ModelInputError(ValueError):
    """``tensorflow_client.predict`` got an input that does not fit the model's signature."""


class UnknownModelError(LookupError):
    """``tensorflow_client.predict`` was asked for no model, or one that is not loaded."""


@dataclass(frozen=True)
class ErrorInfo:
    """An exception described as plain data.

    Attributes:
        type: The exception's class name, e.g. ``"ValueError"``.
        message: ``str(exc)``.
        traceback: The formatted traceback with the runtime's own frames left out ("" if none).
    """

    type: str
    message: str
    traceback: str

    def as_dict(self) -> dict[str, str]:
        """Return the fields as a JSON-ready dict.

        Returns:
            ``{"type": ..., "message": ..., "traceback": ...}``.
        """
        return {"type": self.type, "message": self.message, "traceback": self.traceback}


def describe_exception(exc: BaseException) -> ErrorInfo:
    """Describe an exception by class name, message and a traceback of the user's frames.

    Args:
        exc: The exception to describe.

    Returns:
        The :class:`ErrorInfo`; the traceback is "" when the exception was never raised.
    """
    return ErrorInfo(
        type=type(exc).__name__, message=str(exc), traceback=format_user_traceback(exc)
    )


def format_user_traceback(exc: BaseException) -> str:
    """Format ``exc``'s traceback without the runtime's and the import system's frames.

    The frames of ``glia_runtime`` itself and of ``<frozen importlib...>`` say nothing about the
    user's code, so they are dropped; if nothing would be left, the full traceback is kept.

    Args:
        exc: A raised exception.

    Returns:
        The formatted traceback (with any chained causes), or "" if ``exc`` has none.
    """
    if exc.__traceback__ is None:
        return ""
    summary = traceback.TracebackException.from_exception(exc)
    kept = [frame for frame in summary.stack if not _is_internal(frame.filename)]
    if kept:
        summary.stack = traceback.StackSummary.from_list(kept)
    return "".join(summary.format())


def _is_internal(filename: str) -> bool:
    return filename.startswith("<frozen importlib") or filename.startswith(_PACKAGE_DIR)
