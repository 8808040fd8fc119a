"""The ``metrics_client`` handed to a Handler that declares it.

Same methods as Cortex's client (``gauge``, ``increment``, ``histogram``), with the arguments
checked up front. Values are recorded in memory; the worker reads
:meth:`MetricsClient.snapshot` over the runtime's ``Metrics`` rpc and serves the series on the
platform's Prometheus ``/metrics``, with the tags as labels. Histograms use Prometheus' default
buckets.

Names and tag keys are checked against Prometheus' rules here, in the handler's own call, so a
mistake raises where it was made instead of breaking the ``/metrics`` page later; tag values
may hold any text (the exposition escapes them).
"""

from __future__ import annotations

import math
import numbers
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeGuard, cast

RESERVED_PREFIXES: tuple[str, ...] = ("cortex_", "glia_")
# Labels glia adds to every handler series (api, replica) or to some (le on histogram buckets),
# and quantile, which Prometheus gives summaries: a tag of that name would be overwritten.
RESERVED_LABELS: frozenset[str] = frozenset({"api", "replica", "le", "quantile"})
MAX_NAME_LENGTH = 200
MAX_TAGS = 32
MAX_TAG_VALUE_LENGTH = 1024
# Prometheus' default histogram buckets (upper bounds; +Inf is the total count).
HISTOGRAM_BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
_NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_HISTOGRAM_SUFFIXES: tuple[str, ...] = ("_bucket", "_sum", "_count")

_SeriesKey = tuple[str, tuple[tuple[str, str], ...]]
_Update = Callable[["Series", float], None]


@dataclass
class Series:
    """One metric series: a name, its tags, and what was recorded.

    Attributes:
        kind: ``"gauge"``, ``"counter"`` or ``"histogram"``.
        name: The metric name.
        tags: The tags (labels).
        value: The last gauge value, or the counter's running total.
        count: How many values were recorded.
        sum: Their sum (histograms).
        min: The smallest value recorded (histograms).
        max: The largest value recorded (histograms).
    """

    kind: str
    name: str
    tags: dict[str, str]
    value: float = 0.0
    count: int = 0
    sum: float = 0.0
    min: float = math.inf
    max: float = -math.inf
    buckets: list[int] = field(default_factory=lambda: [0] * len(HISTOGRAM_BUCKETS))

    def as_dict(self) -> dict[str, object]:
        """Return the series as a plain dict (histograms carry count/sum/min/max and cumulative
        ``buckets`` as ``[upper bound, count]`` pairs).

        Returns:
            A JSON-ready dict.
        """
        base: dict[str, object] = {"kind": self.kind, "name": self.name, "tags": dict(self.tags)}
        if self.kind == "histogram":
            cumulative = [
                [bound, sum(self.buckets[: i + 1])] for i, bound in enumerate(HISTOGRAM_BUCKETS)
            ]
            return {
                **base,
                "count": self.count,
                "sum": self.sum,
                "min": self.min,
                "max": self.max,
                "buckets": cumulative,
            }
        return {**base, "value": self.value, "count": self.count}


class MetricsClient:
    """Records gauges, counters and histograms in an in-memory registry (thread-safe).

    Names must match ``[a-zA-Z_:][a-zA-Z0-9_:]*`` (at most 200 characters) and must not start
    with ``cortex_`` or ``glia_``. Tags must be a dict of ``str`` to ``str`` with at most 32
    entries; each key must match ``[a-zA-Z_][a-zA-Z0-9_]*`` (at most 200 characters), must not
    start with ``__`` and must not be one of the labels glia adds (``api``, ``replica``, ``le``,
    ``quantile``); a value may be any text up to 1024 characters. Values must be finite real
    numbers. A name keeps the kind it was first recorded with, and a histogram's name with
    ``_bucket``, ``_sum`` or ``_count`` appended is kept for its series.
    """

    def __init__(self) -> None:
        """Create an empty registry."""
        self._series: dict[_SeriesKey, Series] = {}
        self._kinds: dict[str, str] = {}
        self._lock = threading.Lock()

    def gauge(self, metric: str, value: float, tags: dict[str, str] | None = None) -> None:
        """Set a gauge to ``value``.

        Args:
            metric: The metric name.
            value: The new value.
            tags: Optional labels.

        Raises:
            ValueError: The name, a tag or the value is invalid.
            TypeError: The value is not a number, or the tags are not a dict of str to str.
        """
        self._record("gauge", metric, value, tags, _set_value)

    def increment(self, metric: str, value: float = 1, tags: dict[str, str] | None = None) -> None:
        """Add ``value`` to a counter.

        Args:
            metric: The metric name.
            value: How much to add (default 1).
            tags: Optional labels.

        Raises:
            ValueError: The name, a tag or the value is invalid.
            TypeError: The value is not a number, or the tags are not a dict of str to str.
        """
        self._record("counter", metric, value, tags, _add_value)

    def histogram(self, metric: str, value: float, tags: dict[str, str] | None = None) -> None:
        """Record one observation of a histogram.

        Args:
            metric: The metric name.
            value: The observed value.
            tags: Optional labels.

        Raises:
            ValueError: The name, a tag or the value is invalid.
            TypeError: The value is not a number, or the tags are not a dict of str to str.
        """
        self._record("histogram", metric, value, tags, _observe)

    def snapshot(self) -> list[dict[str, object]]:
        """Return a copy of every series recorded so far.

        Returns:
            One dict per series (see :meth:`Series.as_dict`), sorted by name then tags.
        """
        with self._lock:
            return [self._series[key].as_dict() for key in sorted(self._series)]

    def _record(self, kind: str, metric: str, value: object, tags: object, update: _Update) -> None:
        check_name(metric)
        number = check_value(value)
        clean_tags = check_tags(tags, metric)
        key: _SeriesKey = (metric, tuple(sorted(clean_tags.items())))
        with self._lock:
            self._check_kind(metric, kind)
            series = self._series.setdefault(key, Series(kind=kind, name=metric, tags=clean_tags))
            series.count += 1
            update(series, number)

    def _check_kind(self, metric: str, kind: str) -> None:
        known = self._kinds.get(metric, kind)
        if known != kind:
            raise ValueError(f"metric {metric!r} is already recorded as a {known}, not a {kind}")
        clash = _histogram_clash(self._kinds, metric, kind)
        if clash is not None:
            raise ValueError(
                f"metric {metric!r} is invalid: {clash}, so the two would mix on /metrics; "
                "choose another name"
            )
        self._kinds[metric] = kind


def _histogram_clash(kinds: dict[str, str], metric: str, kind: str) -> str | None:
    """Say which recorded name would share series names with ``metric``, if one would."""
    for suffix in _HISTOGRAM_SUFFIXES:
        if kind == "histogram" and metric + suffix in kinds:
            taken = metric + suffix
            return f"a histogram writes {taken}, already recorded as a {kinds[taken]}"
        base = metric.removesuffix(suffix)
        if base != metric and kinds.get(base) == "histogram":
            return f"histogram {base!r} already writes series named {metric}"
    return None


def _set_value(series: Series, number: float) -> None:
    series.value = number


def _add_value(series: Series, number: float) -> None:
    series.value += number


def _observe(series: Series, number: float) -> None:
    for i, bound in enumerate(HISTOGRAM_BUCKETS):
        if number <= bound:
            series.buckets[i] += 1
            break
    series.sum += number
    series.min = min(series.min, number)
    series.max = max(series.max, number)


def check_name(metric: object) -> None:
    """Check a metric name.

    Args:
        metric: The proposed name.

    Raises:
        TypeError: It is not a string.
        ValueError: It does not match the allowed pattern, is too long or uses a reserved prefix.
    """
    if not isinstance(metric, str):
        raise TypeError(f"metric name must be a str, got {type(metric).__name__}")
    if len(metric) > MAX_NAME_LENGTH:
        raise ValueError(
            f"metric name {metric[:40]!r}... is invalid: it has {len(metric)} characters, "
            f"at most {MAX_NAME_LENGTH} are allowed"
        )
    if not _NAME_RE.fullmatch(metric):
        raise ValueError(
            f"metric name {metric!r} is invalid: it must match [a-zA-Z_:][a-zA-Z0-9_:]*"
        )
    for prefix in RESERVED_PREFIXES:
        if metric.startswith(prefix):
            raise ValueError(
                f"metric name {metric!r} is invalid because it starts with {prefix!r}, a prefix "
                "reserved for built-in metrics; choose another name"
            )


def check_value(value: object) -> float:
    """Check a metric value.

    Args:
        value: The proposed value.

    Returns:
        The value as a float.

    Raises:
        TypeError: It is not a real number (``bool`` is not accepted).
        ValueError: It is NaN or infinite.
    """
    if not _is_number(value):
        raise TypeError(f"metric value must be a number, got {type(value).__name__}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ValueError(f"metric value must be finite, got {value!r}")
    return number


def _is_number(value: object) -> TypeGuard[numbers.Real]:
    return not isinstance(value, bool) and isinstance(value, numbers.Real)


def check_tags(tags: object, metric: str = "") -> dict[str, str]:
    """Check metric tags (Prometheus labels).

    Args:
        tags: None or a dict of str to str.
        metric: The metric they were given with, named in errors.

    Returns:
        A copy of the tags ({} for None).

    Raises:
        TypeError: ``tags`` is not a dict, or a key or value is not a str.
        ValueError: There are too many tags, a key is not a valid Prometheus label name or is
            reserved, or a value is too long or not valid Unicode text.
    """
    if tags is None:
        return {}
    if not isinstance(tags, dict):
        raise TypeError(f"metric tags must be a dict of str to str, got {type(tags).__name__}")
    given = cast("dict[object, object]", tags)
    if len(given) > MAX_TAGS:
        raise ValueError(f"metric {metric!r} has {len(given)} tags; at most {MAX_TAGS} are allowed")
    checked: dict[str, str] = {}
    for key, tag_value in given.items():
        if not isinstance(key, str) or not isinstance(tag_value, str):
            raise TypeError(
                f"metric tags must be a dict of str to str; got {key!r}: {tag_value!r} "
                f"({type(key).__name__}: {type(tag_value).__name__})"
            )
        _check_tag_key(metric, key)
        _check_tag_value(metric, key, tag_value)
        checked[key] = tag_value
    return checked


def _check_tag_key(metric: str, key: str) -> None:
    problem = _tag_key_problem(key)
    if problem is not None:
        shown = f"{key[:40]!r}..." if len(key) > MAX_NAME_LENGTH else repr(key)
        raise ValueError(f"metric {metric!r}: tag key {shown} is invalid: {problem}")


def _tag_key_problem(key: str) -> str | None:
    if len(key) > MAX_NAME_LENGTH:
        return f"it has {len(key)} characters, at most {MAX_NAME_LENGTH} are allowed"
    if not _LABEL_RE.fullmatch(key):
        return "a Prometheus label name must match [a-zA-Z_][a-zA-Z0-9_]*"
    if key.startswith("__"):
        return "label names starting with '__' are reserved by Prometheus"
    if key in RESERVED_LABELS:
        reserved = ", ".join(sorted(RESERVED_LABELS))
        return f"glia adds the labels {reserved} itself; choose another key"
    return None


def _check_tag_value(metric: str, key: str, tag_value: str) -> None:
    if len(tag_value) > MAX_TAG_VALUE_LENGTH:
        raise ValueError(
            f"metric {metric!r}: the value of tag {key!r} has {len(tag_value)} characters, "
            f"at most {MAX_TAG_VALUE_LENGTH} are allowed"
        )
    try:
        tag_value.encode("utf-8")
    except UnicodeEncodeError as err:
        raise ValueError(
            f"metric {metric!r}: the value of tag {key!r} is not valid Unicode text "
            f"(a lone surrogate at index {err.start}); Prometheus labels are UTF-8"
        ) from None
