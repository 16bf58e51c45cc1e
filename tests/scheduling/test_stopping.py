"""Stopping ``digestbot run`` lets background work that watches the stop finish its step: a scheduler
tick cut off mid-query would leave its connection half-returned (on SQLite, a traceback in the log)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from adapters.bootstrap import bootstrap
from adapters.runner import run_bot
from bot.config import parse_config
from bot.scheduling.scheduler import Scheduler


async def test_stopping_waits_for_the_scheduler_tick_in_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    config = parse_config(
        {
            "database": {"url": f"sqlite:///{tmp_path / 'bot.db'}"},
            "http": {"host": "127.0.0.1", "port": 0},
            "channels": [
                {
                    "name": "console",
                    "platform": "console",
                    "schedule": {"weekday": "monday", "time": "09:00"},
                }
            ],
        },
        {},
    )
    ticks: list[str] = []
    entered = asyncio.Event()
    plan = Scheduler.plan

    async def slow_plan(self: Scheduler, now):  # type: ignore[no-untyped-def]
        ticks.append("started")
        entered.set()
        await asyncio.sleep(0.3)  # a tick's queries take a while
        result = await plan(self, now)
        ticks.append("finished")
        return result

    monkeypatch.setattr(Scheduler, "plan", slow_plan)
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, encoding="utf-8") as console_input:
        monkeypatch.setattr(sys, "stdin", console_input)
        app = await bootstrap(config)
        try:
            running = asyncio.create_task(run_bot(app))
            await asyncio.wait_for(entered.wait(), 10)
            os.close(write_end)  # Ctrl-D on the console: the bot stops, mid-tick
            await asyncio.wait_for(running, 10)
        finally:
            await app.aclose()
    assert ticks[:2] == ["started", "finished"]
