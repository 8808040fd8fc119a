"""The ``metrics_client`` handed to a Handler that declares it.

Same methods as Cortex's client (``gauge``, ``increment``, ``histogram``), with the arguments
checked up front. Values are recorded in memory; the worker reads
:meth:`MetricsClient.snapshot` over the runtime's ``Metrics`` rpc and serves the series on the
platform's Prometheus ``/metrics``, with the tags as labels. Histograms use Prometheus' default
buckets.
"""

from __future__ import annotations

import math
import numbers
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeGuard

RESERVED_PREFIXES: tuple[str, ...] = ("cortex_", "glia_")
# Prometheus' default histogram buckets (upper bounds; +Inf is the total count).
HISTOGRAM_BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
_NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")

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

    Names must match ``[a-zA-Z_:][a-zA-Z0-9_:]*`` and must not start with ``cortex_`` or ``glia_``;
    tags must be a dict of ``str`` to ``str``; values must be finite real numbers. A name keeps the
    kind it was first recorded with.
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
        clean_tags = check_tags(tags)
        key: _SeriesKey = (metric, tuple(sorted(clean_tags.items())))
        with self._lock:
            known = self._kinds.setdefault(metric, kind)
            if known != kind:
                raise ValueError(
                    f"metric {metric!r} is already recorded as a {known}, not a {kind}"
                )
            series = self._series.setdefault(key, Series(kind=kind, name=metric, tags=clean_tags))
            series.count += 1
            update(series, number)


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
        ValueError: It does not match the allowed pattern or uses a reserved prefix.
    """
    if not isinstance(metric, str):
        raise TypeError(f"metric name must be a str, got {type(metric).__name__}")
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
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_tags(tags: object) -> dict[str, str]:
    """Check metric tags.

    Args:
        tags: None or a dict of str to str.

    Returns:
        A copy of the tags ({} for None).

    Raises:
        TypeError: ``tags`` is not a dict, or a key or value is not a str.
    """
    if tags is None:
        return {}
    if not isinstance(tags, dict):
        raise TypeError(f"metric tags must be a dict of str to str, got {type(tags).__name__}")
    for key, tag_value in tags.items():
        if not isinstance(key, str) or not isinstance(tag_value, str):
            raise TypeError(
                f"metric tags must be a dict of str to str; got {key!r}: {tag_value!r} "
                f"({type(key).__name__}: {type(tag_value).__name__})"
            )
    return dict(tags)
