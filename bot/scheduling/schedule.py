"""When a channel's post is due: weekly (weekday + local time + IANA zone) or cron schedules.

Times are computed in the schedule's zone and returned in UTC, so "Monday 09:00 Europe/Berlin" stays
09:00 local through DST changes. A local time that does not exist (the hour skipped in spring) runs at
the same wall-clock time read with the pre-change offset, i.e. one hour later on the new clock; a local
time that happens twice (autumn) runs at the first of them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter

from bot.config import WEEKDAYS, CronSchedule, WeeklySchedule

AnySchedule = WeeklySchedule | CronSchedule


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("schedule times need a timezone-aware 'now'")
    return now


def _cron_fire(expression: str, start: datetime, *, forward: bool) -> datetime:
    """croniter's next (or previous) fire time after ``start``, checked to be the aware datetime asked for.

    croniter types ``get_next``/``get_prev`` as returning ``Any`` (the type depends on the class passed in);
    this is the one place that narrows it, so a change in croniter fails loudly here rather than downstream.
    """
    iterator = croniter(expression, start)
    fired = iterator.get_next(datetime) if forward else iterator.get_prev(datetime)
    if not isinstance(fired, datetime) or fired.tzinfo is None:
        raise TypeError(f"croniter returned {fired!r} for {expression!r}, not an aware datetime")
    return fired


def _weekly_at(schedule: WeeklySchedule, day: date) -> datetime:
    zone = ZoneInfo(schedule.timezone)
    return datetime.combine(day, schedule.time, tzinfo=zone).astimezone(UTC)


def previous_run(schedule: AnySchedule, now: datetime) -> datetime:
    """The latest time the schedule fired at or before ``now`` (UTC)."""
    now = _aware(now)
    zone = ZoneInfo(schedule.timezone)
    if isinstance(schedule, CronSchedule):
        local = now.astimezone(zone)
        # croniter's get_prev is strictly before; a slot exactly at now counts as fired.
        return _cron_fire(schedule.cron, local + timedelta(seconds=1), forward=False).astimezone(UTC)
    today = now.astimezone(zone).date()
    target = WEEKDAYS.index(schedule.weekday)
    day = today - timedelta(days=(today.weekday() - target) % 7)
    candidate = _weekly_at(schedule, day)
    if candidate > now:
        candidate = _weekly_at(schedule, day - timedelta(days=7))
    return candidate


def next_run(schedule: AnySchedule, now: datetime) -> datetime:
    """The first time the schedule fires strictly after ``now`` (UTC)."""
    now = _aware(now)
    zone = ZoneInfo(schedule.timezone)
    if isinstance(schedule, CronSchedule):
        return _cron_fire(schedule.cron, now.astimezone(zone), forward=True).astimezone(UTC)
    today = now.astimezone(zone).date()
    target = WEEKDAYS.index(schedule.weekday)
    day = today + timedelta(days=(target - today.weekday()) % 7)
    candidate = _weekly_at(schedule, day)
    if candidate <= now:
        candidate = _weekly_at(schedule, day + timedelta(days=7))
    return candidate


def describe(schedule: AnySchedule) -> str:
    if isinstance(schedule, CronSchedule):
        return f"cron {schedule.cron} ({schedule.timezone})"
    return f"{schedule.weekday} {schedule.time.strftime('%H:%M')} ({schedule.timezone})"
