"""The case page's agreement versions (协议版本) and judicial confirmation (司法确认): what the agreement section
says of the signed and the current version, the judicial panel (the window's days left, the applications and
the court's rulings), and the timeline's sentences for their events."""

from datetime import date
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core import dates
from disputes import services
from disputes.models import Agreement, AgreementVersion, CaseEvent, Dispute, JudicialConfirmation
from disputes.rules.enums import EventKind, Outcome

# How much of a changed text the timeline quotes (the event keeps it whole).
QUOTE_MAX = 200
# The court's decision in the panel and on the timeline ("Confirmed" alone reads as a spot check's verdict).
RESULT_LABELS: dict[str, Any] = {
    JudicialConfirmation.Result.PENDING: gettext_lazy("Awaiting the court's ruling"),
    JudicialConfirmation.Result.CONFIRMED: gettext_lazy("Confirmed by the court"),
    JudicialConfirmation.Result.REJECTED: gettext_lazy("Rejected by the court"),
}
FIELD_LABELS = {
    "facts": gettext_lazy("Facts"),
    "points_in_dispute": gettext_lazy("Points in dispute"),
    "terms": gettext_lazy("What was agreed"),
    "performance_method": gettext_lazy("How and by when it is performed"),
    "perform_by": gettext_lazy("Perform by"),
}


def long_date(value: date | None) -> str:
    """2026年12月1日 (or 1 December 2026 on the English site): core.dates.long_date."""
    return dates.long_date(value)


def print_url(case: Dispute, version: int | None = None) -> str:
    url = reverse("disputes:agreement_print", kwargs={"tracking_number": case.tracking_number})
    return f"{url}?version={version}" if version is not None else url


def versions_view(case: Dispute, agreement: Agreement | None) -> dict[str, Any] | None:
    """已签署：第1版（…签署，…生效） and 当前草稿：第2版, with a link to print the signed version when it is not
    the current one. Numbers and dates only: shown to whoever sees the agreement section."""
    if agreement is None:
        return None
    versions = {v.version: v for v in AgreementVersion.objects.filter(agreement=agreement)}
    signed = next((v for v in versions.values() if v.pk == agreement.signed_version_id), None)
    current = versions.get(agreement.version)
    lines = []
    if signed is not None:
        if signed.signed_on is not None:
            lines.append(
                _("Signed: version %(version)s (signed on %(signed)s, in effect from %(effective)s)")
                % {
                    "version": signed.version,
                    "signed": long_date(signed.signed_on),
                    "effective": long_date(signed.effective_on),
                }
            )
        else:
            lines.append(_("Signed: version %(version)s") % {"version": signed.version})
    if current is not None and current is not signed:
        if current.frozen_at is None:
            lines.append(_("Current draft: version %(version)s") % {"version": current.version})
        else:
            lines.append(_("Version %(version)s: printed for signature, not yet signed") % {"version": current.version})
    return {
        "lines": lines,
        "version": agreement.version,
        "signed_version": signed.version if signed is not None else None,
        # The signed text, when the current version is another one.
        "signed_url": print_url(case, signed.version) if signed is not None and signed is not current else "",
    }


def judicial_panel(case: Dispute, agreement: Agreement | None) -> dict[str, Any] | None:
    """司法确认: the 30-day window from the effective date (days left), and the applications with their rulings.

    Shown once the case was reported back by a signed agreement, or when it has applications."""
    applications: list[JudicialConfirmation] = services.judicial_of(case)
    signed = agreement.signed_version if agreement is not None else None
    reported = case.outcome == Outcome.AGREEMENT and case.status in services.PERFORMANCE_STATES
    if not applications and (signed is None or not reported):
        return None
    window = None
    # The days left matter while the parties may still apply: not while an application awaits the court or
    # after a confirmation (after a rejection they may apply again within the same window).
    applied = any(a.result != JudicialConfirmation.Result.REJECTED for a in applications)
    if signed is not None and reported and not applied:
        first, last = services.judicial_window(case, signed)
        left = (last - timezone.localdate()).days
        if left >= 0:
            text = ngettext(
                "%(n)d day left to apply (until %(date)s).", "%(n)d days left to apply (until %(date)s).", left
            ) % {"n": left, "date": long_date(last)}
        else:
            text = _("The window to apply ended on %(date)s.") % {"date": long_date(last)}
        window = {
            "text": text,
            "from": _("Counted from %(date)s, the day the agreement took effect.") % {"date": long_date(first)},
            "open": left >= 0,
            "left": left,
        }
    rows = [
        {
            "applied_on": long_date(a.applied_on),
            "court": a.court,
            "result": str(RESULT_LABELS[a.result]),
            "code": a.result,
            "pending": a.result == JudicialConfirmation.Result.PENDING,
            "ruling_number": a.ruling_number,
            "decided_on": long_date(a.decided_on),
            "version": a.agreement_version.version,
        }
        for a in applications
    ]
    return {"window": window, "applications": rows}


def _quote(value: Any) -> str:
    text = str(value or "")
    return text if len(text) <= QUOTE_MAX else text[: QUOTE_MAX - 1] + "…"


def _iso_date(value: Any) -> str:
    try:
        return long_date(date.fromisoformat(value)) if value else "—"
    except (TypeError, ValueError):
        return str(value)


def event_details(event: CaseEvent) -> list[str]:
    """The timeline's sentences for the agreement's and the judicial confirmation's events."""
    data = event.data or {}
    details: list[str] = []
    if event.kind == EventKind.AGREEMENT and data.get("version"):
        details.append(_("Version %(version)s") % {"version": data["version"]})
        if data.get("from_version"):
            details.append(
                _("Version %(from)s is frozen: this change makes version %(version)s.")
                % {"from": data["from_version"], "version": data["version"]}
            )
        changes = data.get("changes") or {}
        if "terms" in changes:
            details.append(
                _("What was agreed: “%(from)s” → “%(to)s”")
                % {"from": _quote(changes["terms"].get("from")), "to": _quote(changes["terms"].get("to"))}
            )
        if "perform_by" in changes:
            details.append(
                _("Perform by: %(from)s → %(to)s")
                % {
                    "from": _iso_date(changes["perform_by"].get("from")),
                    "to": _iso_date(changes["perform_by"].get("to")),
                }
            )
        others = [str(FIELD_LABELS[n]) for n in data.get("changed", []) if n in FIELD_LABELS and n not in changes]
        if others and not data.get("created"):
            details.append(_("Also changed: %(fields)s") % {"fields": "、".join(others)})
    elif event.kind == EventKind.AGREEMENT_FROZEN and data.get("version"):
        by = data.get("by")
        label = AgreementVersion.FrozenBy(by).label if by in AgreementVersion.FrozenBy.values else by
        details.append(_("Version %(version)s: %(by)s") % {"version": data["version"], "by": label})
    elif event.kind == EventKind.AGREEMENT_SIGNED and data.get("version"):
        details.append(
            _("Version %(version)s signed on %(signed)s, in effect from %(effective)s")
            % {
                "version": data["version"],
                "signed": _iso_date(data.get("signed_on")),
                "effective": _iso_date(data.get("effective_on")),
            }
        )
    elif event.kind == EventKind.JUDICIAL_APPLIED:
        details.append(
            _("Applied on %(date)s to %(court)s")
            % {"date": _iso_date(data.get("applied_on")), "court": data.get("court")}
        )
    elif event.kind == EventKind.JUDICIAL_DECIDED and data.get("result") in JudicialConfirmation.Result.values:
        details.append(
            _("%(result)s: ruling %(number)s of %(date)s")
            % {
                "result": RESULT_LABELS[data["result"]],
                "number": data.get("ruling_number", ""),
                "date": _iso_date(data.get("decided_on")),
            }
        )
    return details
