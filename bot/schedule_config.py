"""The schedule sections of the configuration: a weekday and time, or a cron expression, in a timezone.

Kept apart from :mod:`bot.config` (which re-exports them) so that neither module outgrows 400 lines.
"""

from __future__ import annotations

from datetime import time as time_of_day
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pydantic import Discriminator, Tag, field_validator

from bot.platform_config import Strict as _Strict

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class WeeklySchedule(_Strict):
    weekday: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    time: time_of_day
    timezone: str = "UTC"

    @field_validator("weekday", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return _require_zone(value)


class CronSchedule(_Strict):
    cron: str
    timezone: str = "UTC"

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        if not croniter.is_valid(value):
            raise ValueError(f"not a valid cron expression: {value!r}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return _require_zone(value)


def _schedule_kind(value: Any) -> str:
    cron = isinstance(value, CronSchedule) or (isinstance(value, dict) and "cron" in value)
    return "cron" if cron else "weekly"


Schedule = Annotated[
    Annotated[WeeklySchedule, Tag("weekly")] | Annotated[CronSchedule, Tag("cron")],
    Discriminator(_schedule_kind),
]


def _require_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA timezone {value!r}") from None
    return value
