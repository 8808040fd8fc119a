from __future__ import annotations

import math
import threading

import pytest

from glia_runtime.metrics import MetricsClient


def test_gauge_keeps_the_last_value_per_tag_set() -> None:
    client = MetricsClient()
    client.gauge("queue_depth", 3, tags={"model": "a"})
    client.gauge("queue_depth", 5, tags={"model": "a"})
    client.gauge("queue_depth", 1.5, tags={"model": "b"})
    assert client.snapshot() == [
        {"kind": "gauge", "name": "queue_depth", "tags": {"model": "a"}, "value": 5.0, "count": 2},
        {"kind": "gauge", "name": "queue_depth", "tags": {"model": "b"}, "value": 1.5, "count": 1},
    ]


def test_increment_adds_up_with_a_default_of_one() -> None:
    client = MetricsClient()
    client.increment("predictions")
    client.increment("predictions", 2.5)
    assert client.snapshot() == [
        {"kind": "counter", "name": "predictions", "tags": {}, "value": 3.5, "count": 2}
    ]


def test_histogram_records_count_sum_min_max() -> None:
    client = MetricsClient()
    for value in (0.2, 0.1, 0.6):
        client.histogram("latency_seconds", value, tags={"stage": "infer"})
    [series] = client.snapshot()
    assert series["kind"] == "histogram"
    assert series["count"] == 3
    assert series["sum"] == pytest.approx(0.9)
    assert (series["min"], series["max"]) == (0.1, 0.6)


@pytest.mark.parametrize("name", ["cortex_latency", "glia_requests"])
def test_reserved_prefixes_raise_value_error(name: str) -> None:
    with pytest.raises(ValueError, match=f"metric name '{name}' is invalid because it starts with"):
        MetricsClient().gauge(name, 1)


@pytest.mark.parametrize("name", ["", "1abc", "my-metric", "a b", "é"])
def test_names_must_match_the_prometheus_pattern(name: str) -> None:
    with pytest.raises(ValueError, match=r"must match \[a-zA-Z_:\]"):
        MetricsClient().increment(name)


def test_valid_names_include_colons_and_underscores() -> None:
    client = MetricsClient()
    client.increment("_private:ratio_1")
    assert client.snapshot()[0]["name"] == "_private:ratio_1"


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 10**400])
def test_values_must_be_finite(value) -> None:
    with pytest.raises(ValueError, match="must be finite"):
        MetricsClient().histogram("latency", value)


@pytest.mark.parametrize("value", ["1", None, True, [1]])
def test_values_must_be_numbers(value) -> None:
    with pytest.raises(TypeError, match="metric value must be a number"):
        MetricsClient().gauge("g", value)


@pytest.mark.parametrize("tags", [["a"], {"a": 1}, {1: "a"}, "a=b"])
def test_tags_must_be_a_dict_of_str_to_str(tags) -> None:
    with pytest.raises(TypeError, match="metric tags must be a dict of str to str"):
        MetricsClient().gauge("g", 1, tags=tags)


def test_invalid_calls_record_nothing() -> None:
    client = MetricsClient()
    with pytest.raises(ValueError):
        client.gauge("g", math.nan)
    assert client.snapshot() == []


def test_a_name_keeps_its_first_kind() -> None:
    client = MetricsClient()
    client.gauge("g", 1)
    with pytest.raises(ValueError, match="'g' is already recorded as a gauge, not a counter"):
        client.increment("g")


def test_snapshot_is_a_copy() -> None:
    client = MetricsClient()
    client.gauge("g", 1, tags={"a": "b"})
    client.snapshot()[0]["tags"]["a"] = "changed"
    assert client.snapshot()[0]["tags"] == {"a": "b"}


def test_concurrent_increments_are_not_lost() -> None:
    client = MetricsClient()

    def work() -> None:
        for _ in range(2000):
            client.increment("hits")

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert client.snapshot()[0]["value"] == 16000


def test_histogram_buckets_are_cumulative_with_prometheus_bounds() -> None:
    client = MetricsClient()
    for value in (0.001, 0.3, 0.3, 7, 100):
        client.histogram("latency", value)
    (series,) = client.snapshot()
    buckets = dict((bound, count) for bound, count in series["buckets"])  # type: ignore[union-attr]
    assert buckets[0.005] == 1
    assert buckets[0.25] == 1
    assert buckets[0.5] == 3
    assert buckets[5] == 3
    assert buckets[10] == 4
    assert series["count"] == 5  # the +Inf bucket
