"""SLA reports per client and month or quarter (issue 4, item 7).

A report answers what a client and its SLA manager ask at the end of a month: how many
calls, how many answered and resolved within target, how fast, which targets were missed
and why, how much of the hours card is used, and how the client judged the hours (approval
rate, satisfaction). Its figures are SQL aggregates
(:mod:`hub.sla.reports_sql`); only those and one page of breaches reach Python, so a
month of a client with years of history costs the same as a month of a new one.

What counts: the calls *opened* in the period (a cohort), and the clocks of those calls —
a clock is *met* or *breached* once decided (a running clock past its due time is already
breached) and *pending* while it runs within its target. Hours are the time entries
*booked* in the period. The period's days are those of the time zone of the contract in
force on its last day (else the client's current contract; else Europe/Amsterdam).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from hub.calls import current_contract
from hub.db import db
from hub.errors import Invalid, NotFound
from hub.models import Client, Contract
from hub.sla import reports_sql as q
from hub.sla.spec import DEFAULT_TIMEZONE

#: The share of clocks within target a month should reach: the line on the compliance
#: chart. Contracts have no such field yet; every report shows this one.
TARGET_PERCENT = 90
#: Upper edges (business minutes) of the response-time histogram's buckets.
HISTOGRAM_EDGES = (15, 30, 60, 120, 240, 480, 960, 1920)
#: Months in the compliance trend (the period's last month and those before it).
TREND_MONTHS = 12
#: Most breaches one page may hold.
MAX_BREACHES_PER_PAGE = 10_000
YEARS = (1900, 9998)

_MONTH = re.compile(r"(\d{4})-(\d{2})", re.ASCII)
_QUARTER = re.compile(r"(\d{4})-[Qq]([1-4])", re.ASCII)
PERIOD_HELP = "a month such as 2026-11 or a quarter such as 2026-Q4"


@dataclass(frozen=True)
class Period:
    """A calendar month or quarter, as days; which instants it covers depends on a zone."""

    label: str
    kind: str  # "month" or "quarter"
    months: tuple[tuple[int, int], ...]  # (year, month), in order

    @property
    def first_day(self) -> date:
        return date(*self.months[0], 1)

    @property
    def end_day(self) -> date:
        """The day after the last one."""
        return date(*_shift(self.months[-1], 1), 1)

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.end_day.toordinal() - 1)


def parse_period(text: str | None) -> Period:
    """``2026-11`` (a month) or ``2026-Q4`` (a quarter); anything else is Invalid."""
    text = (text or "").strip()
    if not text:
        raise Invalid(f"period is required: {PERIOD_HELP}", "period")
    month, quarter = _MONTH.fullmatch(text), _QUARTER.fullmatch(text)
    if month is None and quarter is None:
        raise Invalid(f"period {text[:40]!r} is not {PERIOD_HELP}", "period")
    year = int((month or quarter).group(1))
    if not YEARS[0] <= year <= YEARS[1]:
        raise Invalid(f"period's year must be {YEARS[0]} to {YEARS[1]}: {PERIOD_HELP}", "period")
    if month is not None:
        number = int(month.group(2))
        if not 1 <= number <= 12:
            raise Invalid(f"period {text!r} has no month {number}: {PERIOD_HELP}", "period")
        return Period(f"{year}-{number:02d}", "month", ((year, number),))
    first = 3 * int(quarter.group(2)) - 2
    months = tuple((year, first + i) for i in range(3))
    return Period(f"{year}-Q{quarter.group(2)}", "quarter", months)


def _shift(month: tuple[int, int], by: int) -> tuple[int, int]:
    year, number = month
    index = year * 12 + number - 1 + by
    return index // 12, index % 12 + 1


def month_label(month: tuple[int, int]) -> str:
    return f"{month[0]}-{month[1]:02d}"


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant (UTC) a day begins in ``zone``."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


# --- the report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcomes:
    """Clocks decided within target (met), past it (breached) and still running (pending)."""

    met: int = 0
    breached: int = 0
    pending: int = 0

    @property
    def decided(self) -> int:
        return self.met + self.breached

    @property
    def share(self) -> float | None:
        """Met / (met + breached); None when nothing is decided yet."""
        return self.met / self.decided if self.decided else None

    def __add__(self, other: Outcomes) -> Outcomes:
        return Outcomes(
            self.met + other.met, self.breached + other.breached, self.pending + other.pending
        )


@dataclass(frozen=True)
class ClockFigures:
    """One kind of clock over the period: outcomes, and the median and 90th percentile of
    the business minutes of those that stopped (``measured`` of them)."""

    outcomes: Outcomes
    median: float | None
    p90: float | None
    measured: int


@dataclass(frozen=True)
class MonthFigures:
    """One month's outcomes per clock kind, for calls opened in that month."""

    month: str
    outcomes: dict[str, Outcomes]

    @property
    def response(self) -> Outcomes:
        return self.outcomes["response"]

    @property
    def resolution(self) -> Outcomes:
        return self.outcomes["resolution"]


@dataclass(frozen=True)
class Bucket:
    """Stopped response clocks with ``low <= minutes < high`` (no ``high``: the rest)."""

    low: int
    high: int | None
    count: int


@dataclass(frozen=True)
class Breach:
    call_id: int
    title: str
    kind: str
    line: str | None
    priority: str
    due_at: datetime | None
    breached_at: datetime | None
    cause: str | None


@dataclass(frozen=True)
class Hours:
    """Hours booked in the period, and in the contract year up to the period's end against
    the contract's hours card (None without a contract in force)."""

    period: float
    year_from: date | None = None
    year_until: date | None = None  # the last day counted
    year_used: float | None = None
    card: float | None = None

    @property
    def remaining(self) -> float | None:
        if self.card is None or self.year_used is None:
            return None
        return round(self.card - self.year_used, 2)


@dataclass(frozen=True)
class Feedback:
    """The client's verdicts on the period's calls (those opened in it): of the calls with
    hours booked, how many had all their hours approved and how many have hours held as
    disputed; and the satisfaction (1-5) of each call's latest feedback."""

    with_hours: int = 0
    approved: int = 0
    disputed: int = 0
    scored: int = 0
    average_score: float | None = None

    @property
    def approval_rate(self) -> float | None:
        """Approved / calls with hours; None when no call has hours."""
        return self.approved / self.with_hours if self.with_hours else None


@dataclass(frozen=True)
class Report:
    client_key: str
    client_name: str
    period: Period
    timezone: str
    contract: str | None
    starts_at: datetime
    ends_at: datetime
    calls: dict[tuple[str, str], int]
    clocks: dict[str, ClockFigures]
    months: list[MonthFigures]
    trend: list[MonthFigures]
    response_times: list[Bucket]
    breaches: list[Breach]
    breaches_total: int
    breaches_page: int
    breaches_per_page: int
    hours: Hours
    feedback: Feedback = field(default_factory=Feedback)
    target_percent: int = TARGET_PERCENT
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def calls_total(self) -> int:
        return sum(self.calls.values())


def client_report(
    client_key: str, period: str, *, breaches_page: int = 1, breaches_per_page: int = 100
) -> Report:
    """The report of one client for one month (``2026-11``) or quarter (``2026-Q4``).

    Breaches come one page at a time (``breaches_per_page`` up to 10,000), with their
    total; everything else is complete. An unknown client is NotFound, a bad period Invalid.
    """
    span = parse_period(period)
    if not 1 <= breaches_per_page <= MAX_BREACHES_PER_PAGE:
        raise Invalid(f"per_page must be from 1 to {MAX_BREACHES_PER_PAGE}", "per_page")
    if breaches_page < 1:
        raise Invalid("page must be 1 or more", "page")
    client = db.session.scalar(select(Client).where(Client.key == client_key))
    if client is None:
        raise NotFound(f"no client {client_key!r}", "client")
    contract = contract_for(client, span.last_day)
    zone = ZoneInfo(contract.timezone if contract else DEFAULT_TIMEZONE)
    start, end = local_midnight(span.first_day, zone), local_midnight(span.end_day, zone)
    where = q.cohort(client.id, start, end)

    trend = _months(client.id, span, zone)
    months = trend[-len(span.months) :]
    points = q.percentiles(where)
    clocks = {}
    for kind in q.KINDS:
        measured, values = points.get(kind, (0, {}))
        total = sum((m.outcomes[kind] for m in months), Outcomes())
        clocks[kind] = ClockFigures(total, values.get(50), values.get(90), measured)
    breaches = q.breaches(where)
    rows = q.page(breaches, breaches_per_page, (breaches_page - 1) * breaches_per_page)
    return Report(
        client_key=client.key,
        client_name=client.name,
        period=span,
        timezone=zone.key,
        contract=contract.reference if contract else None,
        starts_at=start,
        ends_at=end,
        calls=q.calls_by_priority_category(where),
        clocks=clocks,
        months=months,
        trend=trend,
        response_times=_buckets(q.histogram(where, "response", HISTOGRAM_EDGES)),
        breaches=[Breach(**row._asdict()) for row in rows],
        breaches_total=q.count(breaches),
        breaches_page=breaches_page,
        breaches_per_page=breaches_per_page,
        hours=_hours(client.id, contract, span, zone, end),
        feedback=Feedback(*q.hours_feedback(where)),
    )


def contract_for(client: Client, day: date) -> Contract | None:
    """The contract in force on ``day`` (the latest started), else the current one."""
    found = db.session.scalar(
        select(Contract)
        .where(
            Contract.client_id == client.id,
            Contract.valid_from <= day,
            or_(Contract.valid_until.is_(None), Contract.valid_until >= day),
        )
        .order_by(Contract.valid_from.desc(), Contract.id.desc())
        .limit(1)
    )
    return found or current_contract(client)


def _months(client_id: int, span: Period, zone: ZoneInfo) -> list[MonthFigures]:
    """Outcomes per month and kind, for the trend of months ending with the period's."""
    months = [_shift(span.months[-1], i - TREND_MONTHS + 1) for i in range(TREND_MONTHS)]
    starts = [local_midnight(date(*m, 1), zone) for m in [*months, _shift(months[-1], 1)]]
    bounds = [(month_label(m), starts[i], starts[i + 1]) for i, m in enumerate(months)]
    counts = q.outcomes_by_month(client_id, bounds)
    return [
        MonthFigures(
            label,
            {
                kind: Outcomes(
                    counts.get((label, kind, "met"), 0),
                    counts.get((label, kind, "breached"), 0),
                    counts.get((label, kind, None), 0),
                )
                for kind in q.KINDS
            },
        )
        for label, _, _ in bounds
    ]


def _buckets(counts: dict[int, int]) -> list[Bucket]:
    lows = (0, *HISTOGRAM_EDGES)
    highs = (*HISTOGRAM_EDGES, None)
    return [Bucket(lows[i], highs[i], counts.get(i, 0)) for i in range(len(lows))]


def contract_year(valid_from: date, day: date) -> tuple[date, date] | None:
    """The contract year holding ``day``: [anniversary of ``valid_from``, the next one);
    None before the contract starts. A 29 February start has its anniversary on the 28th."""
    if day < valid_from:
        return None
    years = day.year - valid_from.year
    if _anniversary(valid_from, years) > day:
        years -= 1
    return _anniversary(valid_from, years), _anniversary(valid_from, years + 1)


def _anniversary(start: date, years: int) -> date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February in a year without one
        return date(start.year + years, 2, 28)


def _hours(
    client_id: int, contract: Contract | None, span: Period, zone: ZoneInfo, end: datetime
) -> Hours:
    start = local_midnight(span.first_day, zone)
    period = q.minutes_booked(start, end, client_id=client_id) / 60
    year = contract_year(contract.valid_from, span.last_day) if contract else None
    if year is None:
        return Hours(round(period, 2))
    used = q.minutes_booked(local_midnight(year[0], zone), end, contract_id=contract.id) / 60
    card = float(contract.hours_card)
    return Hours(round(period, 2), year[0], span.last_day, round(used, 2), card)
