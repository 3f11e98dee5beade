"""When jobs fire: the scheduler asks the schedule's own next_tick (cron's weekday numbers), folds missed ticks,
runs a job one at a time and once more when ticks passed while it ran."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.service.scheduler import Job, JobState, finish, fire_due
from monitor.times import parse_time
from monitor.windows import Schedule, latest_complete_window


def at(text: str):
    return parse_time(text)


def walk(cron: str, start: str, end: str, step: timedelta = timedelta(minutes=1)) -> list:
    """Fire times of a cron job, looked at every `step` from `start` to `end` (each run ending at once)."""
    schedule = Schedule(cron=cron)
    state = JobState(Job("m", schedule.next_tick, lambda: None), schedule.next_tick(at(start)))
    fired, now = [], at(start)
    while now <= at(end):
        for started in fire_due([state], now):
            fired.append(now)
            finish(started)
        now += step
    return fired


# 2026-12-07 is a Monday.
@pytest.mark.parametrize(
    ("cron", "weekdays"),
    [
        ("0 6 * * 0", {"Sun"}),
        ("0 6 * * 7", {"Sun"}),
        ("0 6 * * sun", {"Sun"}),
        ("0 6 * * 1", {"Mon"}),
        ("0 6 * * mon", {"Mon"}),
        ("0 6 * * 2", {"Tue"}),
        ("0 6 * * 6", {"Sat"}),
        ("0 6 * * 1-5", {"Mon", "Tue", "Wed", "Thu", "Fri"}),
        ("0 6 * * mon-fri", {"Mon", "Tue", "Wed", "Thu", "Fri"}),
        ("0 6 * * 6,0", {"Sat", "Sun"}),
        ("0 6 * * 5-7", {"Fri", "Sat", "Sun"}),
    ],
)
def test_weekday_numbers_and_names_mean_what_cron_means(cron, weekdays):
    fired = walk(cron, "2026-12-06T00:00:00Z", "2027-01-03T00:00:00Z", step=timedelta(minutes=30))
    assert {moment.strftime("%a") for moment in fired} == weekdays
    assert all(moment.hour == 6 and moment.minute == 0 for moment in fired)
    assert len(fired) == 4 * len(weekdays)


def test_a_weekday_schedule_evaluates_each_weekday_s_own_window_on_its_day():
    """The bug of APScheduler's cron: `0 6 * * 1-5` fired Tuesday to Saturday and never evaluated Monday's
    window. Each firing evaluates the window that ends at that very tick."""
    schedule = Schedule(cron="0 6 * * 1-5")
    fired = walk("0 6 * * 1-5", "2026-12-06T00:00:00Z", "2027-01-03T00:00:00Z")
    ends = [latest_complete_window(schedule, timedelta(days=1), moment).end for moment in fired]
    assert ends == fired
    assert len(ends) == 20
    assert sum(1 for end in ends if end.strftime("%a") == "Mon") == 4


def test_monthly_and_day_of_month_schedules():
    fired = walk("0 6 1 * *", "2026-11-15T00:00:00Z", "2027-03-02T00:00:00Z", step=timedelta(minutes=30))
    assert [m.strftime("%Y-%m-%d %H:%M") for m in fired] == [
        "2026-12-01 06:00",
        "2027-01-01 06:00",
        "2027-02-01 06:00",
        "2027-03-01 06:00",
    ]


def test_every_fires_on_epoch_aligned_ticks_whenever_the_daemon_started():
    schedule = Schedule(every=timedelta(minutes=1))
    started = at("2026-12-01T10:00:17.400Z")
    state = JobState(Job("m", schedule.next_tick, lambda: None), started)  # installed: fires at once
    assert fire_due([state], started) == [state]
    finish(state)
    assert state.next_at == at("2026-12-01T10:01:00Z")
    assert fire_due([state], at("2026-12-01T10:00:59.999Z")) == []
    assert fire_due([state], at("2026-12-01T10:01:00Z")) == [state]


def test_missed_ticks_fold_into_one_run_and_a_late_run_is_never_skipped():
    schedule = Schedule(every=timedelta(minutes=1))
    state = JobState(Job("m", schedule.next_tick, lambda: None), at("2026-12-01T10:01:00Z"))
    # The machine slept for an hour: one run now (it catches the owed windows up itself), then the next tick.
    assert fire_due([state], at("2026-12-01T11:00:30Z")) == [state]
    assert state.next_at == at("2026-12-01T11:01:00Z")


def test_a_job_runs_one_at_a_time_and_once_more_when_ticks_passed_meanwhile():
    schedule = Schedule(every=timedelta(minutes=1))
    state = JobState(Job("m", schedule.next_tick, lambda: None), at("2026-12-01T10:01:00Z"))
    assert fire_due([state], at("2026-12-01T10:01:00Z")) == [state]
    # Still running at the next two ticks: not started twice, but remembered.
    assert fire_due([state], at("2026-12-01T10:02:00Z")) == []
    assert fire_due([state], at("2026-12-01T10:03:00Z")) == []
    assert finish(state) is True, "ticks passed while it ran: it runs once more at once"
    assert finish(state) is False
    assert not state.running
