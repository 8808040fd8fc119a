"""JSON logging: the runtime's own lines (stderr) and the ``cortex`` user logger (stdout).

- The runtime logs through the stdlib logger ``glia.runtime``: one JSON object per line on
  stderr, ``{"time", "level", "message", "api", ...fields}``. It never touches the root logger.
- :func:`make_cortex_logger` builds the logger that ``cortex_internal.lib.log`` exposes to
  handlers: one JSON object per line on stdout, ``{"asctime", "levelname", "message", "process",
  ...extra}``, with the keys of ``extra`` flattened one level.
"""

from __future__ import annotations

import json
import logging
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from types import TracebackType
from typing import TextIO, cast

RUNTIME_LOGGER_NAME = "glia.runtime"
CORTEX_LOGGER_NAME = "cortex"
LOG_LEVELS: dict[str, int] = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
CORTEX_RESERVED_KEYS: tuple[str, ...] = ("asctime", "levelname", "message", "labels", "process")
MAX_LINE_BYTES = 5 * 1024 * 1024
_MAX_DEPTH = 32
# The argument types of logging.Logger.makeRecord (typeshed's _ArgsType and _SysExcInfoType).
_LogArgs = tuple[object, ...] | Mapping[str, object]
_ExcInfo = (
    tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None] | None
)
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
}


def to_jsonable(value: object, depth: int = 0) -> object:
    """Convert a value into something ``json.dumps`` accepts without options.

    Args:
        value: Any object.
        depth: The current nesting depth (values nested deeper than 32 levels become strings).

    Returns:
        JSON scalars and finite floats as they are, dicts/lists/tuples converted item by item
        (keys as ``str``), and everything else (NaN, infinities, objects) as ``str(value)``.
    """
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if depth < _MAX_DEPTH and isinstance(value, Mapping):
        items = cast("Mapping[object, object]", value).items()
        return {str(key): to_jsonable(item, depth + 1) for key, item in items}
    if depth < _MAX_DEPTH and isinstance(value, (list, tuple)):
        return [to_jsonable(item, depth + 1) for item in cast("Sequence[object]", value)]
    return _safe_str(value)


def _safe_str(value: object) -> str:
    try:
        return str(value)
    except Exception as exc:  # a broken __str__ must not lose the log line
        return f"<unprintable {type(value).__name__}: {type(exc).__name__}>"


def record_extras(record: logging.LogRecord) -> dict[str, object]:
    """Return the attributes a caller added to a record through ``extra``.

    Args:
        record: A log record.

    Returns:
        Every attribute that a plain ``LogRecord`` does not have, by name.
    """
    return {
        k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS and not k.startswith("_")
    }


def parse_level(name: str | None) -> int:
    """Map a spec log level (``debug|info|warning|error``, any case) to a logging level.

    Args:
        name: The level name; None means ``info``.

    Returns:
        The ``logging`` level number.

    Raises:
        ValueError: The name is not one of the four levels.
    """
    if name is None:
        return logging.INFO
    try:
        return LOG_LEVELS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown log level {name!r}; allowed: {', '.join(LOG_LEVELS)}") from None


class LazyStreamHandler(logging.Handler):
    """Writes each formatted record as one line to a stream looked up at emit time.

    Looking the stream up on every record (``sys.stderr`` rather than the object it was when the
    handler was made) keeps output going to wherever the process's stream points now.
    """

    def __init__(self, stream: Callable[[], TextIO], level: int = logging.NOTSET) -> None:
        """Create the handler.

        Args:
            stream: Returns the stream to write to, e.g. ``lambda: sys.stdout``.
            level: The handler's own level.
        """
        super().__init__(level)
        self._stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        """Format ``record`` and write it, followed by a newline, then flush.

        Args:
            record: The record to write.
        """
        try:
            line = self.format(record)
            stream = self._stream()
            stream.write(line + "\n")
            stream.flush()
        except Exception:  # logging must never raise into the caller
            self.handleError(record)


class RuntimeJsonFormatter(logging.Formatter):
    """Formats the runtime's own records: ``{"time", "level", "message", ...context, ...extra}``."""

    def __init__(self, context: Mapping[str, object] | None = None) -> None:
        """Create the formatter.

        Args:
            context: Fields added to every line (e.g. ``{"api": "iris"}``).
        """
        super().__init__()
        self.context = dict(context or {})

    def format(self, record: logging.LogRecord) -> str:
        """Render one record as a JSON object on one line.

        Args:
            record: The record.

        Returns:
            The JSON text (no trailing newline).
        """
        line: dict[str, object] = {
            "time": _iso_utc(record.created),
            "level": record.levelname.lower(),
            "message": record.getMessage(),
            **self.context,
            **record_extras(record),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(to_jsonable(line))


def _iso_utc(created: float) -> str:
    moment = datetime.fromtimestamp(created, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def configure_runtime_logging(level: int = logging.INFO, api: str | None = None) -> logging.Logger:
    """Set up the ``glia.runtime`` logger: JSON lines on stderr, not propagated to the root.

    Calling it again replaces the previous set-up (so the api name can be added once known).

    Args:
        level: The logging level.
        api: The API name added to every line, when known.

    Returns:
        The configured logger.
    """
    logger = logging.getLogger(RUNTIME_LOGGER_NAME)
    for old in list(logger.handlers):
        logger.removeHandler(old)
    handler = LazyStreamHandler(lambda: sys.stderr)
    handler.setFormatter(RuntimeJsonFormatter({"api": api} if api else None))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    return logger


class CortexJsonFormatter(logging.Formatter):
    """Formats ``cortex`` records like Cortex's python-json-logger set-up did.

    Lines longer than :data:`MAX_LINE_BYTES` are replaced by a short warning line.
    """

    def format(self, record: logging.LogRecord) -> str:
        """Render one record; replace it by a warning if it is over the size limit.

        Args:
            record: The record.

        Returns:
            The JSON text (no trailing newline).
        """
        line = json.dumps(self._fields(record))
        size = len(line.encode("utf-8", errors="replace"))
        if size <= MAX_LINE_BYTES:
            return line
        return json.dumps(self._oversize(record, size))

    def _fields(self, record: logging.LogRecord) -> dict[str, object]:
        fields = self._base(record, record.getMessage())
        extra = getattr(record, "cortex_extra", None)
        extras = (
            cast("dict[object, object]", extra)
            if isinstance(extra, dict)
            else record_extras(record)
        )
        for key, value in extras.items():
            if key not in CORTEX_RESERVED_KEYS and key not in ("cortex_extra", "glia_warning"):
                fields[str(key)] = to_jsonable(value)
        warning = getattr(record, "glia_warning", None)
        if warning:
            fields["glia_warning"] = warning
        if record.exc_info:
            fields["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            fields["stack_info"] = self.formatStack(record.stack_info)
        return fields

    def _base(self, record: logging.LogRecord, message: str) -> dict[str, object]:
        return {
            "asctime": self.formatTime(record),
            "levelname": record.levelname,
            "message": message,
            "process": record.process,
        }

    def _oversize(self, record: logging.LogRecord, size: int) -> dict[str, object]:
        text = f"a log line of {size} bytes was dropped; the limit is {MAX_LINE_BYTES} bytes"
        fields = self._base(record, text)
        fields["levelname"] = "WARNING"
        return fields


class CortexLogger(logging.Logger):
    """A logger whose ``extra`` never raises: reserved keys are dropped and reported instead.

    The stdlib raises ``KeyError`` for ``extra`` keys that clash with ``LogRecord`` attributes;
    here the whole ``extra`` dict is kept aside on the record (``cortex_extra``), the reserved
    keys (:data:`CORTEX_RESERVED_KEYS`) are removed from it, and ``glia_warning`` names them.
    """

    def makeRecord(  # overrides the stdlib method of that name and signature
        self,
        name: str,
        level: int,
        fn: str,
        lno: int,
        msg: object,
        args: _LogArgs,
        exc_info: _ExcInfo,
        func: str | None = None,
        extra: Mapping[str, object] | None = None,
        sinfo: str | None = None,
    ) -> logging.LogRecord:
        """Build a record, keeping ``extra`` aside instead of setting it as attributes.

        Returns:
            The record, with ``cortex_extra`` and, when keys were dropped, ``glia_warning``.
        """
        record = super().makeRecord(name, level, fn, lno, msg, args, exc_info, func, None, sinfo)
        kept, warning = split_extra(extra)
        record.cortex_extra = kept
        if warning:
            record.glia_warning = warning
        return record


def split_extra(extra: object) -> tuple[dict[str, object], str | None]:
    """Separate the usable ``extra`` keys from the reserved ones.

    Args:
        extra: What the caller passed as ``extra`` (normally a dict, or None).

    Returns:
        The kept keys and values, and a warning naming what was dropped (None if nothing was).
    """
    if extra is None:
        return {}, None
    if not isinstance(extra, Mapping):
        return {}, f"extra must be a dict, got {type(extra).__name__}; it was dropped"
    given = cast("Mapping[object, object]", extra)
    kept = {str(k): v for k, v in given.items() if str(k) not in CORTEX_RESERVED_KEYS}
    dropped = sorted({str(k) for k in given} & set(CORTEX_RESERVED_KEYS))
    if not dropped:
        return kept, None
    return kept, f"reserved keys in extra were dropped: {', '.join(dropped)}"


def make_cortex_logger() -> logging.Logger:
    """Return the ``cortex`` logger, set up to write JSON lines to stdout (idempotent).

    Returns:
        The logger, at level INFO unless a level was set before.
    """
    previous = logging.getLoggerClass()
    logging.setLoggerClass(CortexLogger)
    try:
        logger = logging.getLogger(CORTEX_LOGGER_NAME)
    finally:
        logging.setLoggerClass(previous)
    if not isinstance(logger, CortexLogger):
        logger.__class__ = CortexLogger  # made earlier as a plain Logger; same layout
    if not any(isinstance(h, LazyStreamHandler) for h in logger.handlers):
        handler = LazyStreamHandler(lambda: sys.stdout)
        handler.setFormatter(CortexJsonFormatter())
        logger.addHandler(handler)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger
