"""Staff pages: the case page (案件详情) and the forms posted from it, the attachment download and the
agreement print view.

Every action is a small POST form handled by `case_action`, which calls the
action's service (`disputes.staff.actions`) and redirects back with a message; the
scale form and drafting from a similar case post to their own views here. What
the page shows is `disputes.staff.case_page`.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core import audit
from core.actors import Actor
from core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError, as_page_errors
from core.models import PersonalDataAccess
from disputes import intake, selectors, services
from disputes.models import Agreement, AgreementVersion, Attachment, Dispute
from disputes.rules.enums import Outcome, PartyRole
from disputes.rules.tracking import format_tracking_number
from disputes.staff import actions
from disputes.staff.case_page import case_context, case_url, forms_for, person_name, place_error, visible_case
from disputes.staff.judicial import long_date
from disputes.staff.judicial import print_url as agreement_print_url
from disputes.staff.scale import PREFIX as SCALE_PREFIX
from disputes.staff.scale import ScaleForm

# --- The actions -------------------------------------------------------------------------------------


def _valid(action: str, forms: list) -> bool:
    if action == "report_back":
        report, agreement = forms
        ok = report.is_valid()
        # The agreement's fields only count when the outcome is an agreement.
        if report.cleaned_data.get("outcome") == Outcome.AGREEMENT:
            ok = agreement.is_valid() and ok
        return ok
    return all(form.is_valid() for form in forms)


def _run(action: str, case: Dispute, actor: Actor, forms: list) -> None:
    """Call the service for one valid action. Any refusal is an ApplicationError and nothing is saved."""
    spec = actions.PAGE_ACTIONS[action]
    actions.check_door(actor.user, case, action)
    values = forms[0].cleaned_data
    if action in ("accept", "start_mediation", "resume", "return"):
        spec.service(dispute=case, action=action, actor=actor, reason=values.get("reason", ""))
    elif action in ("dispatch", "transfer"):
        spec.service(
            dispute=case, action=action, actor=actor, reason=values["reason"], data={"department": values["department"]}
        )
    elif action == "assistance":
        spec.service(dispute=case, actor=actor, department=values["department"], reason=values["reason"])
    elif action == "note":
        spec.service(dispute=case, actor=actor, text=values["text"])
    elif action == "colour":
        spec.service(dispute=case, actor=actor, colour=values["colour"], reason=values["reason"])
    elif action == "pause":
        spec.service(dispute=case, actor=actor, reason=values["reason"], category=values.get("category", ""))
    elif action == "resume_clock":
        spec.service(dispute=case, actor=actor)
    elif action == "session":
        spec.service(dispute=case, actor=actor, **values)
    elif action == "agreement":
        spec.service(dispute=case, actor=actor, values=values)
    elif action == "report_back":
        agreement = forms[1].cleaned_data if values["outcome"] == Outcome.AGREEMENT else None
        spec.service(
            dispute=case,
            actor=actor,
            outcome=values["outcome"],
            reason=values["reason"],
            referral_reference=values["referral_reference"],
            agreement=agreement,
            signed_on=values.get("signed_on"),
            effective_on=values.get("effective_on"),
        )
    elif action == "performance":
        spec.service(dispute=case, actor=actor, performance=values["performance"], remarks=values["remarks"])
    elif action == "merge_duplicate":
        spec.service(actor=actor, duplicate=case, into=case.duplicate_of_id or 0, reason=values["reason"])
    elif action == "description":
        spec.service(dispute=case, actor=actor, description=values["description"])
    elif action == "dismiss_duplicate":
        spec.service(actor=actor, duplicate=case, reason=values["reason"])
    elif action == "print_for_signature":
        spec.service(dispute=case, actor=actor)
    elif action in ("agreement_sign", "judicial_apply", "judicial_decide"):
        spec.service(dispute=case, actor=actor, **values)
    elif action == "leader":
        spec.service(dispute=case, actor=actor, leader=values["leader"], reason=values["reason"])
    elif action == "order":
        spec.service(
            dispute=case,
            actor=actor,
            reason=values["reason"],
            requirements=values["requirements"],
            reply_within_days=values["reply_within_days"],
            **forms[0].recipient_args(),
        )
    elif action == "withdrawal_request":
        spec.service(dispute=case, actor=actor, via=values["via"], reason=values["reason"])
    elif action == "withdrawal_decide":
        spec.service(dispute=case, actor=actor, approve=values["decision"] == "approve", remarks=values["remarks"])


# --- Views ------------------------------------------------------------------------------------------


@login_required
@never_cache
@require_GET
def case_page(request, tracking_number: str):
    case = visible_case(request, tracking_number)
    return render(request, "disputes/staff/case.html", case_context(request, case))


@login_required
@never_cache
@require_POST
def case_action(request, tracking_number: str, action: str):
    case = visible_case(request, tracking_number)
    if action not in actions.PAGE_ACTIONS:
        raise Http404
    actor = Actor.for_user(request.user)
    forms = forms_for(action, case, request.POST)
    if _valid(action, forms):
        try:
            with transaction.atomic():
                _run(action, case, actor, forms)
        except NotFoundError:
            raise Http404 from None
        except PermissionDeniedError as exc:
            # Not the user's to do (a posted action the page does not offer them): a 403, as the API answers,
            # on the case page with the service's reason.
            messages.error(request, str(exc.message))
            context = case_context(request, visible_case(request, tracking_number))
            return render(request, "disputes/staff/case.html", context, status=403)
        except ApplicationError as exc:
            if not place_error(forms, exc):
                messages.error(request, str(exc.message))
                return HttpResponseRedirect(case_url(case), status=303)
        else:
            messages.success(request, str(actions.PAGE_ACTIONS[action].done))
            if action == "print_for_signature":  # straight on to the print of the frozen version
                return HttpResponseRedirect(agreement_print_url(case), status=303)
            return HttpResponseRedirect(case_url(case), status=303)
    context = case_context(request, visible_case(request, tracking_number), bound=(action, forms))
    return render(request, "disputes/staff/case.html", context, status=400)


@login_required
@never_cache
@require_POST
def case_reveal(request, tracking_number: str, party_id: int):
    """Show one field of one party in clear on the page (logged); nothing is kept for the next request."""
    case = visible_case(request, tracking_number)
    field_name = request.POST.get("field", "")
    try:
        value = services.party_reveal(user=request.user, dispute=case, party_id=party_id, field=field_name)
    except ApplicationError as exc:
        if exc.code not in audit.REVEAL_HELD_BACK_CODES:
            with as_page_errors():
                raise
        # No second factor yet, or the hour's reveals used up: the case page, masked, says why.
        messages.error(request, str(exc.message))
        return render(request, "disputes/staff/case.html", case_context(request, case), status=exc.status_code)
    context = case_context(request, case, revealed={(party_id, field_name): value})
    return render(request, "disputes/staff/case.html", context)


@login_required
@never_cache
@require_GET
def case_attachment(request, tracking_number: str, pk: int):
    """附件: the private file, to those who work the case (disputes.visibility), always as a download and never
    sniffed; each download is logged. Photos of ID cards and contracts are personal data like the agreement."""
    case = visible_case(request, tracking_number)
    attachment = Attachment.objects.filter(dispute=case, pk=pk).first()
    if attachment is None:
        raise Http404
    if not selectors.user_works_case(request.user, case):
        raise PermissionDenied(_("Only the people working this case may open its attachments."))
    stored = intake.attachment_path(attachment.storage_name)
    if not stored.is_file():
        raise Http404
    audit.log_records_shown(
        user=request.user,
        case_ref=case.tracking_number,
        records=[("attachment", attachment.pk)],
        page="case_attachment",
    )
    response = FileResponse(
        stored.open("rb"),
        as_attachment=True,
        # Rows stored before names were normalised at intake get the same treatment here.
        filename=intake.download_name(attachment.original_name, attachment.content_type),
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _print_version(agreement: Agreement, requested: str | None) -> AgreementVersion:
    """The version to print: ?version=N, else the current one (an agreement without versions: its own text)."""
    versions = {v.version: v for v in agreement.versions.all()}
    if requested is not None:
        if not requested.isdigit() or int(requested) not in versions:
            raise Http404
        return versions[int(requested)]
    current = versions.get(agreement.version)
    if current is None:
        current = AgreementVersion(agreement=agreement, version=agreement.version)
        for name in services.VERSION_FIELDS:
            setattr(current, name, getattr(agreement, name))
    return current


@login_required
@never_cache
@require_GET
def agreement_print(request, tracking_number: str):
    """调解协议书 on A4, in clear for those working the case; each print is logged.

    The current version prints marked "草稿 第N版" (draft, version N) until it is frozen (the case page's "print
    for signature", the signing or the report-back), then "第N版". ?version=N prints an earlier version; when
    the signed version is not the one printed, the page says which was signed."""
    case = visible_case(request, tracking_number)
    agreement = Agreement.objects.filter(dispute=case).select_related("signed_version").first()
    if agreement is None:
        raise Http404
    if not selectors.user_works_case(request.user, case):
        raise PermissionDenied
    shown = _print_version(agreement, request.GET.get("version"))
    audit.log_personal_data_access(
        user=request.user,
        action=PersonalDataAccess.Action.PRINT,
        what="agreement",
        case_ref=case.tracking_number,
        object_id=agreement.pk,
    )
    order = {PartyRole.APPLICANT: 0, PartyRole.RESPONDENT: 1, PartyRole.THIRD_PARTY: 2}
    parties = sorted(case.parties.all(), key=lambda p: (order.get(p.role, 9), p.pk))
    signed = agreement.signed_version
    if shown.frozen_at is None:
        mark = _("Draft, version %(version)s") % {"version": shown.version}
    else:
        mark = _("Version %(version)s") % {"version": shown.version}
    if shown.signed_on is not None:
        mark = _("%(version)s, signed on %(date)s") % {"version": mark, "date": long_date(shown.signed_on)}
    other_signed = None
    if signed is not None and signed.version != shown.version:
        other_signed = {
            "version": signed.version,
            "url": agreement_print_url(case, signed.version),
            "text": (
                _("Version %(version)s was signed on %(date)s: this page is not the signed text.")
                % {"version": signed.version, "date": long_date(signed.signed_on)}
                if signed.signed_on is not None
                else _("Version %(version)s was signed: this page is not the signed text.")
                % {"version": signed.version}
            ),
        }
    return render(
        request,
        "disputes/staff/agreement_print.html",
        {
            "case": case,
            "agreement": shown,
            "version_mark": mark,
            "is_draft": shown.frozen_at is None,
            "other_signed": other_signed,
            "parties": parties,
            # 一式N份: one copy for each party and one the committee keeps.
            "copies": len(parties) + 1,
            "number": format_tracking_number(case.tracking_number),
            "mediator": person_name(case.assigned_mediator),
            "case_url": case_url(case),
        },
    )


@login_required
@never_cache
@require_POST
def case_scale(request, tracking_number: str):
    case = visible_case(request, tracking_number)
    back = case_url(case)
    form = ScaleForm(request.POST, prefix=SCALE_PREFIX)
    if form.is_valid():
        try:
            with transaction.atomic():
                services.dispute_set_scale(dispute=case, actor=Actor.for_user(request.user), **form.values())
        except NotFoundError:
            raise Http404 from None
        except PermissionDeniedError as exc:
            messages.error(request, str(exc.message))
            context = case_context(request, visible_case(request, tracking_number))
            return render(request, "disputes/staff/case.html", context, status=403)
        except ApplicationError as exc:
            name = exc.extra.get("field")
            form.add_error(name if name in form.fields else None, str(exc.message))
        else:
            messages.success(request, _("The people involved and the amount at stake have been saved."))
            return HttpResponseRedirect(back, status=303)
    context = case_context(request, visible_case(request, tracking_number), bound=(SCALE_PREFIX, [form]))
    return render(request, "disputes/staff/case.html", context, status=400)


@login_required
@never_cache
@require_POST
def draft_from_similar(request, tracking_number: str, source_number: str):
    """参照起草 from the page: the agreement's structure from a similar case, back to the case with a message."""
    case = visible_case(request, tracking_number)
    back = case_url(case)
    try:
        services.agreement_draft_from_similar(
            dispute=case, actor=Actor.for_user(request.user), source_number=source_number
        )
    except NotFoundError:
        raise Http404 from None
    except PermissionDeniedError as exc:
        messages.error(request, str(exc.message))
        return render(request, "disputes/staff/case.html", case_context(request, case), status=403)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return HttpResponseRedirect(back, status=303)
    messages.success(
        request,
        _("The agreement has been drafted from the structure of a similar case. Fill in the placeholders 〔…〕."),
    )
    return HttpResponseRedirect(back + "#agreement-title", status=303)


urlpatterns = [
    path("case/<str:tracking_number>/", case_page, name="case"),
    path("case/<str:tracking_number>/do/<slug:action>/", case_action, name="case_action"),
    path("case/<str:tracking_number>/parties/<int:party_id>/reveal/", case_reveal, name="case_reveal"),
    path("case/<str:tracking_number>/attachments/<int:pk>/", case_attachment, name="case_attachment"),
    path("case/<str:tracking_number>/agreement/print/", agreement_print, name="agreement_print"),
    path("case/<str:tracking_number>/scale/", case_scale, name="case_scale"),
    path(
        "case/<str:tracking_number>/similar/<str:source_number>/draft/",
        draft_from_similar,
        name="case_draft_from_similar",
    ),
]
