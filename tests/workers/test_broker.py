"""The workers' broker is built by the worker's entry point, and the web app never needs it."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import pytest

from webapp.settings import ROOT, Settings
from webapp.taskqueue import POLL_RACE
from workers.broker import worker_broker
from workers.tasks import HEARTBEAT, TASKS

IMPORT_EVERYTHING = """
import gc, importlib, json, pkgutil, sys
import webapp
for info in pkgutil.walk_packages(webapp.__path__, "webapp."):
    importlib.import_module(info.name)
web_imports_workers = sorted(m for m in sys.modules if m.split(".")[0] == "workers")
import workers.broker, workers.tasks
from taskiq_redis import RedisStreamBroker
brokers = sum(isinstance(o, RedisStreamBroker) for o in gc.get_objects())
print(json.dumps({"web_imports_workers": web_imports_workers, "brokers": brokers}))
"""


async def run_python(code: str, env: dict[str, str]) -> dict[str, object]:
    """Run `code` in a fresh interpreter and return the JSON its last line prints."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    result: dict[str, object] = json.loads(out.decode().strip().splitlines()[-1])
    return result


async def test_importing_the_web_app_and_the_workers_builds_no_broker(settings: Settings) -> None:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env["DATABASE_URL"] = str(settings.database_url)

    seen = await run_python(IMPORT_EVERYTHING, env)

    assert seen == {"web_imports_workers": [], "brokers": 0}


def test_the_worker_entry_point_builds_a_broker_with_every_task(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    from webapp.settings import get_settings

    monkeypatch.setenv("REDIS_URL", str(settings.redis_url))
    get_settings.cache_clear()
    try:
        broker = worker_broker()
    finally:
        get_settings.cache_clear()

    tasks = broker.get_all_tasks()
    assert sorted(tasks) == sorted(name for name, _, _ in TASKS)
    assert tasks[POLL_RACE.name].labels == dict(POLL_RACE.labels)
    assert tasks[HEARTBEAT.name].labels["schedule"] == [{"cron": "* * * * *"}]


def test_the_worker_entry_point_refuses_to_start_without_redis(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from webapp.settings import get_settings

    monkeypatch.delenv("REDIS_URL", raising=False)
    get_settings.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="REDIS_URL is not set"):
            worker_broker()
    finally:
        get_settings.cache_clear()
