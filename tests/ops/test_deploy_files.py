"""The Prometheus alert rules and the Grafana dashboard under deploy/ parse, and every metric
they use is one that /metrics exposes (README "Health and metrics")."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "contactcenter.json"
SCRAPE_CONFIG = ROOT / "deploy" / "prometheus" / "prometheus.yml"
# Prometheus' own series (not ours) that the rules may use.
PROMETHEUS_OWN = {"up"}
# PromQL words that look like names.
PROMQL = {
    "sum", "max", "min", "by", "rate", "increase", "histogram_quantile", "topk", "or", "and", "humanizeDuration",
}  # fmt: skip


def _exposed_names() -> set[str]:
    """Every series name /metrics can show: each family's samples (histograms' _bucket,
    _count, _sum; counters' _total), also for families with no sample yet."""
    response = Client().get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    names: set[str] = set()
    for family in text_string_to_metric_families(response.content.decode()):
        if family.type == "histogram":
            names |= {f"{family.name}_bucket", f"{family.name}_count", f"{family.name}_sum"}
        elif family.type == "counter":
            names.add(f"{family.name}_total")
        else:
            names.add(family.name)
        names |= {sample.name for sample in family.samples}
    return names


def _metric_names(expr: str) -> set[str]:
    without_labels = re.sub(r"\{[^}]*\}", "", expr)
    without_ranges = re.sub(r"\[[^\]]*\]", "", without_labels)
    without_groupings = re.sub(r"\b(by|without)\s*\([^)]*\)", "", without_ranges)
    words = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", without_groupings))
    return {w for w in words if w not in PROMQL and not w.startswith("le")}


def _rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text())
    assert isinstance(document, dict) and document["groups"]
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_alert_rules_parse_and_use_only_exposed_metrics(db: Any) -> None:
    rules = _rules()
    exposed = _exposed_names() | PROMETHEUS_OWN
    alerts = {rule["alert"] for rule in rules}
    assert len(alerts) == len(rules)  # names are unique
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
        assert rule["labels"]["severity"] in ("warning", "critical")
        assert rule["annotations"]["summary"]
        if "for" in rule:
            assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["for"]
        names = _metric_names(rule["expr"])
        assert names, rule
        assert names <= exposed, (rule["alert"], names - exposed)
    used = {name for rule in rules for name in _metric_names(rule["expr"])}
    # What the issue asks alerts for: overdue enquiries, deadline lag, outbound failures,
    # Redis and database down.
    assert {
        "cc_enquiry_oldest_overdue_seconds",
        "cc_deadline_lag_seconds_bucket",
        "cc_outbound_failures_total",
        "cc_dependency_up",
    } <= used
    assert any('dependency="redis"' in rule["expr"] for rule in rules)
    assert any('dependency="database"' in rule["expr"] for rule in rules)
    assert any('le="2.0"' in rule["expr"] for rule in rules)


def test_dashboard_uses_only_exposed_metrics(db: Any) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    exposed = _exposed_names()
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    assert len(exprs) >= 15
    used: set[str] = set()
    for expr in exprs:
        names = _metric_names(expr)
        assert names and names <= exposed, (expr, names - exposed)
        used |= names
    # Every metric of ours is on the dashboard.
    ours = {n for n in exposed if n.startswith("cc_") and not n.endswith(("_sum", "_count"))}
    ours -= {"cc_build_info", "cc_celery_tasks_total", "cc_http_request_duration_seconds_bucket"} - used
    missing = {n for n in ours if n not in used and f"{n}_bucket" not in used}
    assert not missing, missing


def test_scrape_config_points_at_metrics() -> None:
    config = yaml.safe_load(SCRAPE_CONFIG.read_text())
    (job,) = config["scrape_configs"]
    assert job["job_name"] == "contactcenter" and job["metrics_path"] == "/metrics"
    assert config["rule_files"] == ["alerts.yml"]
