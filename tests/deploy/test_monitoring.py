"""The Grafana dashboard and the alert rules parse and only use metrics the app exports."""

from __future__ import annotations

import json
import re

import yaml
from quart.typing import TestClientProtocol

from webapp.settings import ROOT

DEPLOY = ROOT / "deploy"
METRIC = re.compile(r"\b(paddock_[a-z0-9_]+)")
SUFFIXES = ("_bucket", "_count", "_sum")


def dashboard_exprs() -> list[str]:
    dashboard = json.loads((DEPLOY / "grafana-dashboard.json").read_text())
    return [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]


def alert_rules() -> list[dict[str, object]]:
    rules = yaml.safe_load((DEPLOY / "prometheus-alerts.yml").read_text())
    return [rule for group in rules["groups"] for rule in group["rules"]]


def exported(text: str) -> set[str]:
    return set(re.findall(r"^# TYPE (\S+) ", text, re.M))


def base_name(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return name


def test_files_parse_and_cover_what_operators_watch() -> None:
    exprs = dashboard_exprs()
    assert len(exprs) >= 10 and all(exprs)
    alerts = {str(rule["alert"]) for rule in alert_rules()}
    assert {
        "PaddockNotReady",
        "PaddockSlowResponses",
        "PaddockResultsFeedDown",
        "PaddockTaskFailures",
    } <= alerts
    for rule in alert_rules():
        assert rule["expr"] and rule["annotations"], rule["alert"]
    slow = next(r for r in alert_rules() if r["alert"] == "PaddockSlowResponses")
    assert "> 0.2" in str(slow["expr"])


async def test_every_metric_they_use_is_exported(client: TestClientProtocol) -> None:
    text = (await (await client.get("/metrics")).get_data()).decode()
    names = exported(text)
    used = {
        base_name(name)
        for expr in [*dashboard_exprs(), *(str(r["expr"]) for r in alert_rules())]
        for name in METRIC.findall(expr)
    }
    assert len(used) >= 10
    # prometheus_client names a counter's family without `_total` in its TYPE line.
    missing = sorted(u for u in used if u not in names and u.removesuffix("_total") not in names)
    assert not missing, f"not in /metrics: {missing}"


async def test_metrics_report_dependencies(client: TestClientProtocol) -> None:
    text = (await (await client.get("/metrics")).get_data()).decode()
    assert 'paddock_dependency_up{dependency="postgresql"} 1.0' in text
    assert 'paddock_dependency_up{dependency="redis"} 1.0' in text
