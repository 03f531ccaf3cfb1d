"""Prometheus metrics of the results feed, polling and background tasks."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

FEED_REQUESTS = Counter(
    "paddock_feed_requests_total",
    "Requests to the results feed by endpoint and outcome",
    ["endpoint", "outcome"],
)
FEED_POLLS = Counter("paddock_feed_polls_total", "Race result polls by outcome", ["outcome"])
TASK_RUNS = Counter(
    "paddock_task_runs_total", "Background task runs by task and outcome", ["task", "outcome"]
)
TASK_DURATION = Histogram(
    "paddock_task_duration_seconds",
    "Background task durations",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 15.0, 60.0, 300.0),
)
