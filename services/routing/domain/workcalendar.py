"""Working-day calendar for deadlines: Mon–Fri minus Vietnamese public holidays (pure, stdlib only).

Statutory holidays (Labour Code 2019, art. 112): 1/1; Tết Nguyên Đán (5 days, span announced yearly);
Giỗ Tổ Hùng Vương (10/3 lunar); 30/4; 1/5; 2/9 plus one adjacent day. A holiday on a Saturday or Sunday
gives a compensatory day off (nghỉ bù) on the next working day unless the year's announcement says otherwise.
Lunar dates use Hồ Ngọc Đức's algorithm at UTC+7, so Vietnam's Tết (e.g. 1985-01-21) can differ from China's.

Deadline conventions (documented choices):
- `add_working_hours` counts only time inside working periods; a deadline that lands exactly on the end of a
  period is that end (17:00), not the next opening.
- `add_working_days(start, n)` follows the Civil Code (art. 147–148): the start day is not counted and the
  deadline is the END of the n-th working day after it (the closing time, 17:00 by default).
- Pauses `[(paused_at, resumed_at), ...]` stop the clock (waiting on the citizen); pass `now` as
  `resumed_at` for a pause that is still open.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

try:
    VN_TZ: tzinfo = ZoneInfo("Asia/Ho_Chi_Minh")
except ZoneInfoNotFoundError:  # no tzdata on the host: Vietnam has had no DST since 1975, +07:00 is exact
    from datetime import timezone

    VN_TZ = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")

DEFAULT_PERIODS: tuple[tuple[time, time], ...] = ((time(7, 30), time(11, 30)), (time(13, 30), time(17, 0)))
MAX_SCAN_DAYS = 3660  # a calendar with no working day for ten years is a configuration error
Pause = tuple[datetime, datetime]


# ---- Vietnamese lunar calendar (Hồ Ngọc Đức, https://www.informatik.uni-leipzig.de/~duc/amlich/) ----


def _jd(d: date) -> int:
    """Julian day number of a Gregorian date."""
    return d.toordinal() + 1721425


def _from_jd(jd: int) -> date:
    """Gregorian date of a Julian day number."""
    return date.fromordinal(jd - 1721425)


def _new_moon(k: int) -> float:
    """Julian day (fractional, UT) of the k-th new moon after 1900-01-01."""
    t = k / 1236.85
    t2, t3, dr = t * t, t * t * t, math.pi / 180
    jd1 = 2415020.75933 + 29.53058868 * k + 0.0001178 * t2 - 0.000000155 * t3
    jd1 += 0.00033 * math.sin((166.56 + 132.87 * t - 0.009173 * t2) * dr)
    m = 359.2242 + 29.10535608 * k - 0.0000333 * t2 - 0.00000347 * t3
    mpr = 306.0253 + 385.81691806 * k + 0.0107306 * t2 + 0.00001236 * t3
    f = 21.2964 + 390.67050646 * k - 0.0016528 * t2 - 0.00000239 * t3
    c1 = (0.1734 - 0.000393 * t) * math.sin(m * dr) + 0.0021 * math.sin(2 * dr * m)
    c1 += -0.4068 * math.sin(mpr * dr) + 0.0161 * math.sin(dr * 2 * mpr) - 0.0004 * math.sin(dr * 3 * mpr)
    c1 += 0.0104 * math.sin(dr * 2 * f) - 0.0051 * math.sin(dr * (m + mpr))
    c1 += -0.0074 * math.sin(dr * (m - mpr)) + 0.0004 * math.sin(dr * (2 * f + m))
    c1 += -0.0004 * math.sin(dr * (2 * f - m)) - 0.0006 * math.sin(dr * (2 * f + mpr))
    c1 += 0.0010 * math.sin(dr * (2 * f - mpr)) + 0.0005 * math.sin(dr * (2 * mpr + m))
    if t < -11:
        deltat = 0.001 + 0.000839 * t + 0.0002261 * t2 - 0.00000845 * t3 - 0.000000081 * t * t3
    else:
        deltat = -0.000278 + 0.000265 * t + 0.000262 * t2
    return jd1 + c1 - deltat


def _new_moon_day(k: int, tz_hours: float) -> int:
    """Local day number of the k-th new moon."""
    return math.floor(_new_moon(k) + 0.5 + tz_hours / 24)


def _sun_sector(jdn: int, tz_hours: float) -> int:
    """Sun longitude at local midnight of day jdn, in 30° sectors (0..11)."""
    t = (jdn - 0.5 - tz_hours / 24 - 2451545.0) / 36525
    t2, dr = t * t, math.pi / 180
    m = 357.52910 + 35999.05030 * t - 0.0001559 * t2 - 0.00000048 * t * t2
    l0 = 280.46645 + 36000.76983 * t + 0.0003032 * t2
    dl = (1.914600 - 0.004817 * t - 0.000014 * t2) * math.sin(dr * m)
    dl += (0.019993 - 0.000101 * t) * math.sin(dr * 2 * m) + 0.000290 * math.sin(dr * 3 * m)
    lon = (l0 + dl) * dr
    lon -= 2 * math.pi * math.floor(lon / (2 * math.pi))
    return math.floor(lon / math.pi * 6)


def _lunar_month_11(year: int, tz_hours: float) -> int:
    """Day number of the start of lunar month 11 (containing the winter solstice) of `year`."""
    k = math.floor((_jd(date(year, 12, 31)) - 2415021) / 29.530588853)
    nm = _new_moon_day(k, tz_hours)
    return _new_moon_day(k - 1, tz_hours) if _sun_sector(nm, tz_hours) >= 9 else nm


def _leap_month_offset(a11: int, tz_hours: float) -> int:
    """Offset (months after month 11) of the leap month in a 13-month lunar year."""
    k = math.floor((a11 - 2415021.076998695) / 29.530588853 + 0.5)
    i, arc = 1, _sun_sector(_new_moon_day(k + 1, tz_hours), tz_hours)
    while True:
        last, i = arc, i + 1
        arc = _sun_sector(_new_moon_day(k + i, tz_hours), tz_hours)
        if arc == last or i >= 14:
            return i - 1


def lunar_to_solar(day: int, month: int, year: int, leap: bool = False, tz_hours: float = 7.0) -> date:
    """Gregorian date of a Vietnamese lunar date (raises ValueError for a leap month that does not exist)."""
    if month < 11:
        a11, b11 = _lunar_month_11(year - 1, tz_hours), _lunar_month_11(year, tz_hours)
    else:
        a11, b11 = _lunar_month_11(year, tz_hours), _lunar_month_11(year + 1, tz_hours)
    k = math.floor(0.5 + (a11 - 2415021.076998695) / 29.530588853)
    off = (month - 11) % 12
    if b11 - a11 > 365:
        leap_off = _leap_month_offset(a11, tz_hours)
        leap_month = (leap_off - 2) % 12
        if leap and month != leap_month:
            raise ValueError(f"lunar year {year} has no leap month {month}")
        if leap or off >= leap_off:
            off += 1
    elif leap:
        raise ValueError(f"lunar year {year} has no leap month")
    return _from_jd(_new_moon_day(k + off, tz_hours) + day - 1)


# ---- holidays ----


@dataclass(frozen=True)
class YearConfig:
    """One year's government announcement: Tết span, the 2/9 companion day, swaps and compensatory days."""

    tet_days: tuple[date, ...] | None = None  # None → lunar 30/12 and mùng 1–4 (5 days)
    national_day_extra: Literal["before", "after"] = "before"  # 1/9 or 3/9
    days_off: frozenset[date] = (
        frozenset()
    )  # announced compensatory days off (ngày nghỉ bù) or extra days off
    working_days: frozenset[date] = frozenset()  # swapped working days (e.g. a Saturday made a working day)
    auto_compensate: bool = (
        True  # holiday on Sat/Sun → next working day off; turn off when days_off is explicit
    )


@dataclass(frozen=True)
class WorkCalendar:
    """Working periods and holidays; deadline arithmetic in `tz` (Asia/Ho_Chi_Minh by default)."""

    periods: tuple[tuple[time, time], ...] = DEFAULT_PERIODS
    years: Mapping[int, YearConfig] = field(default_factory=dict)
    tz: tzinfo = VN_TZ
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        """Validate the periods and per-year configuration; raises ValueError."""
        ends = [t for p in self.periods for t in p]
        if not self.periods or ends != sorted(ends) or any(s >= e for s, e in self.periods):
            raise ValueError(f"working periods must be non-empty, ordered and disjoint: {self.periods}")
        for year, cfg in self.years.items():
            days = set(cfg.tet_days or ()) | cfg.days_off | cfg.working_days
            if any(d.year != year for d in days):
                raise ValueError(f"year config {year} lists a date of another year")
            if cfg.days_off & cfg.working_days:
                raise ValueError(f"year config {year}: a date is both a day off and a working day")

    @property
    def hours_per_day(self) -> float:
        """Working hours in one working day (7.5 by default)."""
        return sum((_dt(date.min, e) - _dt(date.min, s)).total_seconds() for s, e in self.periods) / 3600

    def holidays(self, year: int) -> dict[date, str]:
        """Days off of `year` other than weekends, with their Vietnamese names."""
        if year not in self._cache:
            self._cache[year] = self._compute_holidays(year)
        return self._cache[year]

    def _compute_holidays(self, year: int) -> dict[date, str]:
        cfg = self.years.get(year, YearConfig())
        lny = lunar_to_solar(1, 1, year)
        tet = cfg.tet_days or tuple(lny + timedelta(days=i) for i in range(-1, 4))
        extra = date(year, 9, 1) if cfg.national_day_extra == "before" else date(year, 9, 3)
        statutory: dict[date, str] = {date(year, 1, 1): "Tết Dương lịch"}
        statutory.update({d: "Tết Nguyên Đán" for d in tet})
        statutory[lunar_to_solar(10, 3, year)] = "Giỗ Tổ Hùng Vương"
        statutory.update({date(year, 4, 30): "Ngày Chiến thắng", date(year, 5, 1): "Quốc tế Lao động"})
        statutory.update({date(year, 9, 2): "Quốc khánh", extra: "Quốc khánh"})
        result = dict(statutory)
        if cfg.auto_compensate:
            for d in sorted(statutory):
                if d.weekday() >= 5:
                    nxt = d + timedelta(days=1)
                    while nxt.weekday() >= 5 or nxt in result:
                        nxt += timedelta(days=1)
                    result[nxt] = f"Nghỉ bù ({statutory[d]})"
        result.update({d: "Nghỉ bù / nghỉ theo thông báo" for d in cfg.days_off})
        for d in cfg.working_days:
            result.pop(d, None)
        return result

    def is_working_day(self, d: date) -> bool:
        """True on Mon–Fri that are not holidays, and on swapped working days."""
        cfg = self.years.get(d.year)
        if cfg is not None and d in cfg.working_days:
            return True
        return d.weekday() < 5 and d not in self.holidays(d.year)

    def _segments(self, start: datetime, pauses: Sequence[Pause] = ()) -> Iterator[tuple[datetime, datetime]]:
        """Running-clock intervals from `start` onward: working periods minus pauses."""
        start = _aware(start, "start").astimezone(self.tz)
        merged = _merge_pauses(pauses, self.tz)
        day = start.date()
        for _ in range(MAX_SCAN_DAYS):
            if self.is_working_day(day):
                for s, e in self.periods:
                    seg_s, seg_e = max(_dt(day, s, self.tz), start), _dt(day, e, self.tz)
                    if seg_s < seg_e:
                        yield from _subtract(seg_s, seg_e, merged)
            day += timedelta(days=1)
        raise ValueError(
            f"no working time left within {MAX_SCAN_DAYS} days after {start}: check the calendar"
        )

    def add_working_hours(self, start: datetime, hours: float, pauses: Sequence[Pause] = ()) -> datetime:
        """The instant `hours` working hours after `start`, not counting paused time."""
        if hours < 0:
            raise ValueError("hours must be >= 0")
        remaining = timedelta(hours=hours)
        if not remaining:
            return _aware(start, "start").astimezone(self.tz)
        for s, e in self._segments(start, pauses):
            if e - s >= remaining:
                return s + remaining
            remaining -= e - s
        raise AssertionError("unreachable: _segments raises when it runs out")

    def add_working_days(self, start: datetime, days: int, pauses: Sequence[Pause] = ()) -> datetime:
        """Closing time of the `days`-th working day after the start day (start day not counted)."""
        if days < 0:
            raise ValueError("days must be >= 0")
        local = _aware(start, "start").astimezone(self.tz)
        anchor = max(local, _dt(local.date(), self.periods[-1][1], self.tz))
        return self.add_working_hours(anchor, days * self.hours_per_day, pauses) if days else local

    def working_hours_between(self, a: datetime, b: datetime, pauses: Sequence[Pause] = ()) -> float:
        """Working hours from `a` to `b` minus paused time (negative when b < a)."""
        a, b = _aware(a, "a"), _aware(b, "b")
        if b < a:
            return -self.working_hours_between(b, a, pauses)
        total = timedelta()
        for s, e in self._segments(a, pauses):
            if s >= b:
                break
            total += min(e, b) - s
        return total.total_seconds() / 3600

    def shift_for_pause(self, due: datetime, paused_at: datetime, resumed_at: datetime) -> datetime:
        """Push a due date later by the working time elapsed during one pause."""
        return self.add_working_hours(due, self.working_hours_between(paused_at, resumed_at))


def _aware(dt: datetime, name: str) -> datetime:
    """Refuse naive datetimes: a deadline without a timezone is a bug waiting to happen."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {dt!r}")
    return dt


def _dt(d: date, t: time, tz: tzinfo | None = None) -> datetime:
    return datetime.combine(d, t, tzinfo=tz)


def _merge_pauses(pauses: Iterable[Pause], tz: tzinfo) -> list[Pause]:
    """Sorted, merged pause intervals; raises ValueError on an interval that ends before it starts."""
    items = sorted(
        (_aware(p, "paused_at").astimezone(tz), _aware(r, "resumed_at").astimezone(tz)) for p, r in pauses
    )
    merged: list[Pause] = []
    for p, r in items:
        if r < p:
            raise ValueError(f"pause resumes before it starts: {p} → {r}")
        if merged and p <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], r))
        else:
            merged.append((p, r))
    return merged


def _subtract(s: datetime, e: datetime, pauses: list[Pause]) -> Iterator[tuple[datetime, datetime]]:
    """Pieces of [s, e) not covered by any pause."""
    for p, r in pauses:
        if r <= s or p >= e:
            continue
        if p > s:
            yield s, p
        s = max(s, r)
        if s >= e:
            return
    yield s, e


DEFAULT_CALENDAR = WorkCalendar()


def is_working_day(d: date, calendar: WorkCalendar = DEFAULT_CALENDAR) -> bool:
    """True if `d` is a working day in `calendar`."""
    return calendar.is_working_day(d)


def add_working_hours(
    start: datetime, hours: float, pauses: Sequence[Pause] = (), calendar: WorkCalendar = DEFAULT_CALENDAR
) -> datetime:
    """`start` plus `hours` working hours, the clock stopped during `pauses`."""
    return calendar.add_working_hours(start, hours, pauses)


def add_working_days(
    start: datetime, days: int, pauses: Sequence[Pause] = (), calendar: WorkCalendar = DEFAULT_CALENDAR
) -> datetime:
    """Closing time of the `days`-th working day after the start day."""
    return calendar.add_working_days(start, days, pauses)


def working_hours_between(
    a: datetime, b: datetime, pauses: Sequence[Pause] = (), calendar: WorkCalendar = DEFAULT_CALENDAR
) -> float:
    """Working hours between two instants, minus paused time."""
    return calendar.working_hours_between(a, b, pauses)
