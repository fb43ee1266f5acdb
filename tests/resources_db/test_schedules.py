import datetime as dt

import pytest

from resources_db.schedules import PA_TZ, WeeklyHours, is_open, parse_hours


@pytest.mark.parametrize(("text", "byday", "opens", "closes"), [
    ("24/7/365", "MO,TU,WE,TH,FR,SA,SU", "00:00", "23:59"),
    ("Mon-Fri 8 a.m.-4 p.m.", "MO,TU,WE,TH,FR", "08:00", "16:00"),
    ("Office Mon-Fri 8 a.m.-4 p.m.; scheduling Mon-Fri 7:30 a.m.-3 p.m.", "MO,TU,WE,TH,FR",
     "08:00", "16:00"),
    ("Mon-Fri 8:30-5, walk-ins until 4:30", "MO,TU,WE,TH,FR", "08:30", "17:00"),
    ("Sat-Sun 10am-2pm", "SA,SU", "10:00", "14:00"),
])
def test_hours_as_sources_write_them(text, byday, opens, closes):
    first = parse_hours(text)[0]
    assert (first.byday, first.opens_at.strftime("%H:%M"), first.closes_at.strftime("%H:%M")) \
        == (byday, opens, closes)


def test_hours_without_days_are_not_invented_into_a_week():
    assert parse_hours("8:00 a.m.-4:00 p.m. (per county page)") == []
    assert parse_hours("") == []


def test_open_now_uses_pennsylvania_time():
    weekdays = [WeeklyHours("MO,TU,WE,TH,FR", dt.time(8), dt.time(16))]
    tuesday_9am_pa = dt.datetime(2026, 11, 24, 9, 0, tzinfo=PA_TZ)
    assert is_open(weekdays, tuesday_9am_pa)
    # 15:00 UTC on that Tuesday is 10:00 in Pennsylvania (EST): open.
    assert is_open(weekdays, dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC))
    # 22:00 UTC is 17:00 in Pennsylvania: closed.
    assert not is_open(weekdays, dt.datetime(2026, 11, 24, 22, 0, tzinfo=dt.UTC))
    assert not is_open(weekdays, dt.datetime(2026, 11, 28, 9, 0, tzinfo=PA_TZ))  # Saturday
