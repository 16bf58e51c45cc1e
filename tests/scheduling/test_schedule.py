"""Next and previous run times: weekly and cron, across DST changes."""

from datetime import UTC, datetime

import pytest

from bot.config import CronSchedule, WeeklySchedule
from bot.scheduling.schedule import describe, next_run, previous_run

BERLIN_MONDAY_9 = WeeklySchedule(weekday="monday", time="09:00", timezone="Europe/Berlin")
BERLIN_CRON = CronSchedule(cron="0 9 * * MON", timezone="Europe/Berlin")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("schedule", [BERLIN_MONDAY_9, BERLIN_CRON], ids=["weekly", "cron"])
def test_nine_local_stays_nine_local_across_both_dst_changes(schedule):
    # Winter (CET, UTC+1): 08:00 UTC. Summer (CEST, UTC+2) from 2026-03-29: 07:00 UTC.
    assert next_run(schedule, utc(2026, 3, 20)) == utc(2026, 3, 23, 8)
    assert next_run(schedule, utc(2026, 3, 23, 8)) == utc(2026, 3, 30, 7)  # strictly after
    assert previous_run(schedule, utc(2026, 3, 30, 7)) == utc(2026, 3, 30, 7)  # at counts as fired
    assert previous_run(schedule, utc(2026, 3, 30, 6, 59)) == utc(2026, 3, 23, 8)
    # Back to CET on 2026-10-25.
    assert next_run(schedule, utc(2026, 10, 20)) == utc(2026, 10, 26, 8)
    assert previous_run(schedule, utc(2026, 10, 25, 12)) == utc(2026, 10, 19, 7)


def test_a_local_time_skipped_by_dst_runs_an_hour_later_and_a_doubled_one_runs_once():
    spring = WeeklySchedule(weekday="sunday", time="02:30", timezone="Europe/Berlin")
    # 02:30 does not exist on 2026-03-29: the post goes out at 03:30 CEST = 01:30 UTC.
    assert next_run(spring, utc(2026, 3, 28)) == utc(2026, 3, 29, 1, 30)
    autumn = WeeklySchedule(weekday="sunday", time="02:30", timezone="Europe/Berlin")
    # 02:30 happens twice on 2026-10-25: the first one (CEST) = 00:30 UTC, and only once.
    first = next_run(autumn, utc(2026, 10, 24))
    assert first == utc(2026, 10, 25, 0, 30)
    assert next_run(autumn, first) == utc(2026, 11, 1, 1, 30)


def test_other_zones_and_weekdays():
    tokyo_friday = WeeklySchedule(weekday="friday", time="18:15", timezone="Asia/Tokyo")
    assert next_run(tokyo_friday, utc(2026, 11, 23)) == utc(2026, 11, 27, 9, 15)
    new_york = CronSchedule(cron="30 8 * * 1-5", timezone="America/New_York")
    assert next_run(new_york, utc(2026, 11, 23, 13, 30)) == utc(2026, 11, 24, 13, 30)
    assert previous_run(new_york, utc(2026, 11, 23, 13, 30)) == utc(2026, 11, 23, 13, 30)
    assert describe(tokyo_friday) == "friday 18:15 (Asia/Tokyo)"


def test_naive_now_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        next_run(BERLIN_MONDAY_9, datetime(2026, 1, 1))
