"""Opening hours: parse what sources write into HSDS schedule fields, and answer "open now?"."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

PA_TZ = ZoneInfo("America/New_York")
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
_DAY_NAMES = {"mon": "MO", "tue": "TU", "wed": "WE", "thu": "TH", "fri": "FR", "sat": "SA",
              "sun": "SU"}


@dataclass(frozen=True)
class WeeklyHours:
    byday: str  # "MO,TU,WE,TH,FR"
    opens_at: dt.time
    closes_at: dt.time


def _time(text: str, meridiem: str | None, default_pm: bool) -> dt.time:
    hour, _, minute = text.partition(":")
    h, m = int(hour), int(minute or 0)
    pm = meridiem.startswith("p") if meridiem else default_pm
    if pm and h < 12:
        h += 12
    if not pm and h == 12 and meridiem:
        h = 0
    return dt.time(h % 24, m)


def parse_hours(text: str) -> list[WeeklyHours]:
    """'24/7', 'Mon-Fri 8 a.m.-4 p.m.', 'Mon-Fri 8:30-5, Sat 10-2' -> weekly hours; [] when
    unsure.

    Only what is stated: hours without days are not turned into a week.
    """
    text = text.strip()
    if re.search(r"24\s*/\s*7|24 hours", text, re.I):
        return [WeeklyHours(",".join(DAYS), dt.time(0, 0), dt.time(23, 59, 59))]
    out = []
    pattern = re.compile(
        r"\b(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?(?:\s*(?:-|–|to)\s*(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?)?"
        r",?\s*(\d{1,2}(?::\d{2})?)\s*([ap])?\.?m?\.?\s*(?:-|–|to)\s*(\d{1,2}(?::\d{2})?)\s*([ap])?\.?m?\.?",
        re.I)
    for m in pattern.finditer(text):
        first = DAYS.index(_DAY_NAMES[m[1].lower()])
        last = DAYS.index(_DAY_NAMES[m[2].lower()]) if m[2] else first  # one day: "Sat 10-2"
        days = DAYS[first : last + 1] if first <= last else DAYS[first:] + DAYS[: last + 1]
        opens = _time(m[3], m[4] and m[4].lower(), default_pm=False)
        closes = _time(m[5], m[6] and m[6].lower(), default_pm=True)
        out.append(WeeklyHours(",".join(days), opens, closes))
    return out


def is_open(hours: list[WeeklyHours], now: dt.datetime) -> bool:
    local = now.astimezone(PA_TZ)
    day, time = DAYS[local.weekday()], local.time()
    return any(day in h.byday.split(",") and h.opens_at <= time <= h.closes_at for h in hours)
