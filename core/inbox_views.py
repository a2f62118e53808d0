"""收件箱: the staff inbox page and the unread badge in every staff page's header.

Thin doors on `core.inbox`. Everything works without JavaScript: filters and
paging are links and a GET form, "open" is a link that marks the item read on the
way to its page, marking read is a POST form. static/js/inbox.js adds the live
part: it polls the summary API (core/inbox_api.py) every INBOX_POLL_SECONDS and
updates the badge, and on this page offers to reload when new items arrived.

The badge costs at most one query per page, and none where a page does not show it
(print views, JSON errors, anonymous visitors): `inbox_badge` below is a context
processor that hands the template an object, counted only when the template reads it.
"""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from core import inbox

DEFAULT_POLL_SECONDS = 60


def poll_seconds() -> int:
    """How often open staff pages ask for news (INBOX_POLL_SECONDS; at least 1)."""
    return max(1, int(getattr(settings, "INBOX_POLL_SECONDS", DEFAULT_POLL_SECONDS)))


# --- The header's badge ----------------------------------------------------------------------------


def inbox_badge(request: HttpRequest) -> dict[str, Any]:
    """Context processor: `inbox_badge` (count, display, label), counted on first use only."""
    return {"inbox_badge": LazyBadge(request)}


class LazyBadge:
    """The request user's unread count, read from the database the first time a template asks."""

    def __init__(self, request: HttpRequest) -> None:
        self._request = request
        self._count: int | None = None

    @property
    def count(self) -> int:
        if self._count is None:
            self._count = inbox.inbox_unread_count(getattr(self._request, "user", None))
        return self._count

    @property
    def display(self) -> str:
        return inbox.unread_display(self.count)

    @property
    def label(self) -> str:
        return inbox.unread_label(self.count)

    @property
    def poll_seconds(self) -> int:
        return poll_seconds()

    @property
    def summary_url(self) -> str:
        return reverse("api:inbox-summary")


# --- The page --------------------------------------------------------------------------------------

SHOW_ALL, SHOW_UNREAD = "all", "unread"


class InboxFilterForm(forms.Form):
    show = forms.ChoiceField(
        label=gettext_lazy("Show"),
        required=False,
        choices=[(SHOW_ALL, gettext_lazy("All messages")), (SHOW_UNREAD, gettext_lazy("Unread only"))],
    )
    group = forms.ChoiceField(
        label=gettext_lazy("About"),
        required=False,
        choices=[("", gettext_lazy("Anything"))] + list(inbox.Group.choices),
    )
    before = forms.IntegerField(required=False, min_value=1, max_value=inbox.MAX_ID, widget=forms.HiddenInput)


def _inbox_url(**params: Any) -> str:
    query = urlencode({k: v for k, v in params.items() if v})
    return reverse("inbox") + (f"?{query}" if query else "")


@login_required
@require_GET
def inbox_page(request: HttpRequest) -> HttpResponse:
    """The reader's messages, newest first, unread ones marked; filters and "older" paging by id."""
    form = InboxFilterForm(request.GET)
    # A hand-edited address (an unknown group, a non-number) shows the first page of everything.
    values = form.cleaned_data if form.is_valid() else {}
    show = values.get("show") or SHOW_ALL
    group = values.get("group") or ""
    before = values.get("before")
    page = inbox.inbox_items(request.user, unread_only=show == SHOW_UNREAD, group=group or None, before_id=before)
    summary = inbox.inbox_summary(request.user)
    here = request.get_full_path()
    context = {
        "form": form,
        "items": page.items,
        "show": show,
        "group": group,
        "group_label": inbox.Group(group).label if group else "",
        "show_tabs": [
            (value, label, _inbox_url(show=value if value != SHOW_ALL else "", group=group), value == show)
            for value, label in InboxFilterForm.base_fields["show"].choices  # type: ignore[attr-defined]
        ],
        "older_url": _inbox_url(show=show if show != SHOW_ALL else "", group=group, before=page.next_before)
        if page.next_before
        else "",
        "newest_url": _inbox_url(show=show if show != SHOW_ALL else "", group=group) if before else "",
        "latest_id": summary.latest_id or 0,
        "unread": summary.unread,
        "unread_display": summary.unread_display,
        "here": here,
        "is_later_page": before is not None,
    }
    return render(request, "core/inbox.html", context)


@login_required
@require_GET
def inbox_open(request: HttpRequest, pk: int) -> HttpResponse:
    """打开: mark the item read and go to its page (a path on this site only)."""
    item = inbox.inbox_open(request.user, item_id=pk)
    if item is None:
        raise Http404
    if item.link:
        return HttpResponseRedirect(item.link)
    messages.info(request, _("This message has no page to open; it is marked as read."))
    return HttpResponseRedirect(reverse("inbox"))


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    return target if target and inbox.is_local_path(target) else reverse("inbox")


@login_required
@require_POST
def inbox_read(request: HttpRequest) -> HttpResponse:
    """Mark read: the items named `id` (one or more), or all with `all=1`; back to `next` (a local path)."""
    ids: list[int] = []
    for value in request.POST.getlist("id"):
        try:
            ids.append(int(value))
        except ValueError:
            continue
    everything = request.POST.get("all") == "1"
    if not ids and not everything:
        messages.error(request, _("Choose the messages to mark as read."))
        return HttpResponseRedirect(_next_url(request), status=303)
    changed = inbox.inbox_mark_read(request.user, ids=ids, all=everything)
    if everything:
        messages.success(request, _("All messages are marked as read."))
    elif not changed:
        messages.info(request, _("Those messages were already read."))
    else:
        messages.success(
            request,
            ngettext("%(count)s message marked as read.", "%(count)s messages marked as read.", changed)
            % {"count": changed},
        )
    return HttpResponseRedirect(_next_url(request), status=303)
