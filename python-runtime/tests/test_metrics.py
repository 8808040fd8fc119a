from __future__ import annotations

import json
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


# The tag key from the security review: it closes the label set and starts a forged sample.
FORGED_KEY = 'model"} 1\nforged_total{a="'


def test_a_tag_key_that_forges_a_sample_is_refused_naming_metric_key_and_rule() -> None:
    client = MetricsClient()
    with pytest.raises(ValueError) as raised:
        client.increment("predictions", tags={FORGED_KEY: "x"})
    message = str(raised.value)
    assert "metric 'predictions'" in message
    assert repr(FORGED_KEY) in message
    assert "must match [a-zA-Z_][a-zA-Z0-9_]*" in message
    assert client.snapshot() == []


@pytest.mark.parametrize("key", ["", "1abc", "my-label", "a b", "é", "a:b", 'a"', "a\nb", "a}"])
def test_tag_keys_must_be_prometheus_label_names(key: str) -> None:
    with pytest.raises(ValueError, match=r"label name must match \[a-zA-Z_\]\[a-zA-Z0-9_\]\*"):
        MetricsClient().gauge("g", 1, tags={key: "v"})


def test_tag_keys_starting_with_two_underscores_are_reserved() -> None:
    with pytest.raises(
        ValueError, match="tag key '__name__' is invalid: .* reserved by Prometheus"
    ):
        MetricsClient().gauge("g", 1, tags={"__name__": "other"})


@pytest.mark.parametrize("key", ["api", "replica", "le", "quantile"])
def test_tag_keys_glia_adds_itself_are_refused(key: str) -> None:
    with pytest.raises(ValueError, match=f"tag key '{key}' is invalid: glia adds the labels"):
        MetricsClient().histogram("h", 1, tags={key: "v"})


def test_valid_tag_keys_include_underscores_and_digits() -> None:
    client = MetricsClient()
    client.gauge("g", 1, tags={"_model": "a", "stage_2": "b", "API": "c"})
    assert client.snapshot()[0]["tags"] == {"_model": "a", "stage_2": "b", "API": "c"}


def test_tag_values_keep_quotes_backslashes_and_newlines_exactly() -> None:
    hostile = 'say "hi"\\n\nthen} 1\nforged_total 2'
    client = MetricsClient()
    client.increment("greetings", tags={"text": hostile})
    [series] = client.snapshot()
    assert series["tags"] == {"text": hostile}
    # What the Metrics rpc sends (server.py: json.dumps(snapshot).encode()) decodes to the same.
    assert json.loads(json.dumps(client.snapshot()).encode())[0]["tags"]["text"] == hostile


def test_a_tag_value_must_be_unicode_text() -> None:
    with pytest.raises(ValueError, match="value of tag 'text' is not valid Unicode text"):
        MetricsClient().gauge("g", 1, tags={"text": "a\ud800b"})


def test_lengths_are_bounded() -> None:
    client = MetricsClient()
    client.gauge("n" * 200, 1, tags={"k" * 200: "v" * 1024, **{f"t{i}": "" for i in range(31)}})
    with pytest.raises(ValueError, match="has 201 characters, at most 200 are allowed"):
        client.gauge("n" * 201, 1)
    with pytest.raises(ValueError, match="tag key 'kkk.*has 201 characters, at most 200"):
        client.gauge("g", 1, tags={"k" * 201: "v"})
    with pytest.raises(ValueError, match="value of tag 'k' has 1025 characters, at most 1024"):
        client.gauge("g", 1, tags={"k": "v" * 1025})
    with pytest.raises(ValueError, match="metric 'g' has 33 tags; at most 32 are allowed"):
        client.gauge("g", 1, tags={f"t{i}": "" for i in range(33)})
    assert len(client.snapshot()) == 1


def test_a_histogram_keeps_its_derived_series_names() -> None:
    client = MetricsClient()
    client.histogram("latency", 1)
    for name in ("latency_bucket", "latency_sum", "latency_count"):
        with pytest.raises(
            ValueError, match=f"histogram 'latency' already writes series named {name}"
        ):
            client.increment(name)
    client.gauge("queue_count", 1)
    with pytest.raises(
        ValueError, match="a histogram writes queue_count, already recorded as a gauge"
    ):
        client.histogram("queue", 1)
    assert [s["name"] for s in client.snapshot()] == ["latency", "queue_count"]
