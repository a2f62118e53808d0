"""The dashboard's period: a month, a quarter, a year or a custom range of local days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import dates

MAX_CUSTOM_DAYS = 366 * 5


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """Local days from `start` (included) to `end` (excluded)."""

    kind: str
    start: date
    end: date

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def slug(self) -> str:
        """For file names: 2026-11, 2026-Q4, 2026, 2026-11-03_2026-11-20."""
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return f"{self.start.year}"
        return f"{self.start:%Y-%m-%d}_{self.last_day:%Y-%m-%d}"

    @property
    def label(self) -> str:
        if self.kind in ("month", "quarter", "year"):
            return self.slug
        return f"{self.start:%Y-%m-%d} – {self.last_day:%Y-%m-%d}"

    def segments(self) -> tuple[list[date], list[tuple[date, date]]]:
        """Whole months (read from the month rows) and the leftover day ranges at either end (day rows)."""
        first_full = self.start if self.start.day == 1 else add_months(self.start, 1)
        end_full = month_start(self.end)
        if first_full >= end_full:
            return [], [(self.start, self.end)] if self.start < self.end else []
        months = []
        month = first_full
        while month < end_full:
            months.append(month)
            month = add_months(month, 1)
        days = []
        if self.start < first_full:
            days.append((self.start, first_full))
        if end_full < self.end:
            days.append((end_full, self.end))
        return months, days

    def ranking_month(self) -> date:
        """The month ranked in 排名通报: the period's last month."""
        return month_start(self.last_day)

    def trend_months(self, count: int = 12) -> list[date]:
        """The `count` months ending with the period's last month."""
        last = month_start(self.last_day)
        return [add_months(last, -i) for i in range(count - 1, -1, -1)]

    def query(self) -> dict[str, str]:
        """The GET parameters that select this period again."""
        if self.kind == "month":
            return {"kind": "month", "month": f"{self.start:%Y-%m}"}
        if self.kind == "quarter":
            return {"kind": "quarter", "quarter": self.slug}
        if self.kind == "year":
            return {"kind": "year", "year": str(self.start.year)}
        return {"kind": "custom", "start": f"{self.start:%Y-%m-%d}", "end": f"{self.last_day:%Y-%m-%d}"}


def month_period(day: date) -> Period:
    start = month_start(day)
    return Period("month", start, add_months(start, 1))


def quarter_period(year: int, quarter: int) -> Period:
    start = date(year, 3 * (quarter - 1) + 1, 1)
    return Period("quarter", start, add_months(start, 3))


def year_period(year: int) -> Period:
    return Period("year", date(year, 1, 1), date(year + 1, 1, 1))


KIND_CHOICES = [
    ("month", _("Month")),
    ("quarter", _("Quarter")),
    ("year", _("Year")),
    ("custom", _("Custom range")),
]


class PeriodForm(forms.Form):
    """GET form: works without JavaScript; only the field of the chosen kind is read."""

    kind = forms.ChoiceField(label=_("Period"), choices=KIND_CHOICES, initial="month", widget=forms.RadioSelect)
    month = forms.CharField(
        label=_("Month"), required=False, widget=forms.DateInput(attrs={"type": "month", "placeholder": "2026-11"})
    )
    quarter = forms.RegexField(
        label=_("Quarter"),
        regex=r"^\d{4}-Q[1-4]$",
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "2026-Q4", "size": 8}),
        error_messages={"invalid": _("Enter a quarter like 2026-Q4.")},
    )
    year = forms.IntegerField(label=_("Year"), required=False, min_value=2000, max_value=2100)
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To (inclusive)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Every field but the chosen kind's is ignored: "(optional)" on each would only confuse.
        for field in self.fields.values():
            field.optional_label = False
        # An empty form shows the current month; the other kinds start from today too.
        today = timezone.localdate()
        self.fields["month"].initial = f"{today:%Y-%m}"
        self.fields["quarter"].initial = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
        self.fields["year"].initial = today.year

    def clean_month(self):
        value = (self.cleaned_data.get("month") or "").strip()
        if not value:
            return None
        try:
            year, month = (int(part) for part in value.split("-"))
            first_day = date(year, month, 1)
        except (ValueError, TypeError):
            raise forms.ValidationError(_("Enter a month like 2026-11.")) from None
        if not dates.is_in_range(first_day):
            raise forms.ValidationError(dates.out_of_range_message())
        return first_day

    def clean(self):
        data = super().clean()
        kind = data.get("kind") or "month"
        if kind == "custom":
            start, end = data.get("start"), data.get("end")
            # The year 9999 has no day after its last (the range's end is exclusive): core.dates' range.
            out_of_range = [n for n, day in (("start", start), ("end", end)) if day and not dates.is_in_range(day)]
            for name in out_of_range:
                self.add_error(name, dates.out_of_range_message())
            if out_of_range:
                return data
            if start is None:
                self.add_error("start", _("Enter the first day of the range."))
            if end is None:
                self.add_error("end", _("Enter the last day of the range."))
            if start and end and start > end:
                self.add_error("end", _("The end of the range must not come before its start."))
            elif start and end and (end - start).days > MAX_CUSTOM_DAYS:
                self.add_error("end", _("Choose a range of at most five years."))
        return data

    def period(self) -> Period:
        """The chosen period; the current month when the form is empty or invalid."""
        today = timezone.localdate()
        if not self.is_bound or not self.is_valid():
            return month_period(today)
        data = self.cleaned_data
        kind = data.get("kind") or "month"
        if kind == "quarter":
            if data.get("quarter"):
                year, q = data["quarter"].split("-Q")
                return quarter_period(int(year), int(q))
            return quarter_period(today.year, (today.month - 1) // 3 + 1)
        if kind == "year":
            return year_period(data.get("year") or today.year)
        if kind == "custom":
            return Period("custom", data["start"], data["end"] + timedelta(days=1))
        return month_period(data.get("month") or today)
