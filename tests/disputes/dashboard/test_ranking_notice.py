"""排名通报's printable notice: a preview until a supervisor issues it, then 代字〔2026〕N号 unique per office,
stored as issued (one per office and month, with who issued it) and printed from its snapshot whatever the
rollups say later; Chinese dates and full-width punctuation; 404 outside the reader's area; the dashboard
links to it."""

import re
import threading
from datetime import date

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone, translation

from core.models import DocumentCounter
from core.staff_names import person_name
from disputes.dashboard import ranking
from disputes.dashboard.periods import add_months, month_start
from disputes.models import DisputeRollup, RankingNotice
from disputes.rules.enums import Colour
from disputes.services import ranking_notice as notices
from grids.models import Role

pytestmark = pytest.mark.django_db

ISO_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")


@pytest.fixture
def month():
    """Last month: over, so its notice may be issued."""
    return add_months(month_start(timezone.localdate()), -1)


@pytest.fixture
def ranked(tree, month):
    tree.county.doc_code = "西湖矛调督"
    tree.county.save(update_fields=["doc_code"])
    for town, resolved in ((tree.town_a, 9), (tree.town_b, 6)):
        DisputeRollup.objects.create(
            grain=DisputeRollup.Grain.MONTH,
            day=month,
            area_path=town.path,
            dimension="all",
            value="",
            registered=10,
            submitted=10,
            registered_resolved=resolved,
            concluded=10,
            on_time=10,
        )
    DisputeRollup.objects.create(
        grain=DisputeRollup.Grain.MONTH,
        day=month,
        area_path=tree.county.path,
        dimension="all",
        value="",
        registered=20,
        submitted=20,
        registered_resolved=15,
        concluded=20,
        on_time=20,
        parties_reached=12,
        parties_satisfied=11,
    )
    DisputeRollup.objects.create(
        grain=DisputeRollup.Grain.NOW,
        day=timezone.localdate(),
        area_path=tree.village_a.path,
        dimension="colour",
        value=str(int(Colour.RED)),
        overdue=3,
    )
    return tree


def article(body: str) -> str:
    return body[body.index("<article") : body.index("</article>")]


def url(area, **query):
    base = reverse("disputes:ranking_notice", args=[area.code])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_the_preview_has_no_number_and_shows_the_ranking_and_the_laggards(client, ranked, make_staff, month):
    client.force_login(make_staff(Role.SUPERVISOR, area=ranked.county))
    response = client.get(url(ranked.county, month=f"{month:%Y-%m}", basis="area"))
    assert response.status_code == 200
    body = response.content.decode()
    sheet = article(body)
    assert "data-preview" in body and "〔" not in sheet
    assert ranked.town_a.name in sheet and ranked.town_b.name in sheet
    # The overview's figures come from the county's month row.
    assert "75.0%" in sheet and "91.7%" in sheet
    # Named: the last ranked (朝阳洲街道) and the township with red cases overdue (南浦街道, 3).
    laggards = re.findall(r"<p data-laggards>(.*?)</p>", sheet, re.S)
    assert ranked.town_b.name in laggards[0] and ranked.town_a.name not in laggards[0]
    assert ranked.town_a.name in laggards[1] and "3" in laggards[1]
    assert 'method="post"' in body  # a supervisor may issue it


def test_issuing_gives_the_offices_next_number_once_and_the_page_prints_it(client, ranked, make_staff, month):
    supervisor = make_staff(Role.SUPERVISOR, area=ranked.county)
    client.force_login(supervisor)
    response = client.post(url(ranked.county), {"month": f"{month:%Y-%m}", "basis": "department"})
    assert response.status_code == 302
    year = timezone.localdate().year
    issued = notices.notice_issued(ranked.county, month)
    assert issued is not None and issued.document_number == f"西湖矛调通〔{year}〕1号"
    assert issued.basis == ranking.Basis.HANDLING and issued.issued_on == timezone.localdate()
    # Issuing again changes nothing; the next month's notice takes the next number.
    client.post(url(ranked.county), {"month": f"{month:%Y-%m}", "basis": "area"})
    assert notices.notice_issued(ranked.county, month).document_number == f"西湖矛调通〔{year}〕1号"
    earlier = add_months(month, -1)
    notice, new = notices.notice_issue(user=supervisor, area_code=ranked.county.code, month=earlier, basis="area")
    assert new and notice.document_number == f"西湖矛调通〔{year}〕2号"
    # Another office numbers its own notices from 1.
    town = make_staff(Role.SUPERVISOR, area=ranked.town_a)
    other, _ = notices.notice_issue(user=town, area_code=ranked.town_a.code, month=month, basis="area")
    assert other.document_number == f"南浦通〔{year}〕1号"
    assert DocumentCounter.objects.get(issuer=f"area:{ranked.county.pk}", kind=notices.KIND, year=year).last_number == 2
    # Stored as notices, one per office and month; the counters are only the offices' number series.
    assert sorted(RankingNotice.objects.values_list("number_text", flat=True)) == sorted(
        [f"西湖矛调通〔{year}〕1号", f"西湖矛调通〔{year}〕2号", f"南浦通〔{year}〕1号"]
    )
    assert RankingNotice.objects.filter(area=ranked.county, month=month).count() == 1
    assert set(DocumentCounter.objects.values_list("kind", flat=True)) == {notices.KIND}

    body = client.get(url(ranked.county, month=f"{month:%Y-%m}")).content.decode()
    sheet = article(body)
    assert f"西湖矛调通〔{year}〕1号" in sheet and "第" not in re.sub(r"<[^>]+>", "", sheet).split("号")[0]
    assert "data-preview" not in body and 'method="post"' not in body
    today = timezone.localdate()
    assert f"{today.year}年{today.month}月{today.day}日" in sheet
    assert not ISO_DATE.search(sheet)
    # Issued on the handling basis: the page says so whatever is asked for.
    assert str(ranking.basis_note(ranking.Basis.HANDLING))[:20] in sheet


def test_the_notice_reads_in_chinese(client, ranked, make_staff, month):
    """Needs the compiled translations (locale/zh_Hans): the title, the sections and the month in Chinese."""
    client.force_login(make_staff(Role.SUPERVISOR, area=ranked.county))
    with translation.override("zh-hans"):
        body = client.get(url(ranked.county, month=f"{month:%Y-%m}")).content.decode()
    sheet = article(body)
    assert f"关于{month.year}年{month.month}月全区矛盾纠纷多元化解工作情况的通报" in sheet
    assert "西湖区社会矛盾纠纷调处化解中心" in sheet
    assert "综合得分" in sheet and "较上月" in sheet
    text = re.sub(r"<[^>]+>", "", sheet)
    # Full-width punctuation next to Chinese: no ASCII comma, colon or parenthesis after a CJK character.
    assert not re.search(r"[\u4e00-\u9fff][,:;()]", text)
    assert not ISO_DATE.search(sheet) and f"{month:%Y-%m}" not in sheet


def test_a_month_not_over_cannot_be_issued(ranked, make_staff):
    supervisor = make_staff(Role.SUPERVISOR, area=ranked.county)
    this_month = month_start(timezone.localdate())
    with pytest.raises(notices.ApplicationError):
        notices.notice_issue(user=supervisor, area_code=ranked.county.code, month=this_month, basis="area")
    assert notices.notice_issued(ranked.county, this_month) is None


def test_jurisdiction(client, ranked, make_staff, month):
    town_supervisor = make_staff(Role.SUPERVISOR, area=ranked.town_a)
    client.force_login(town_supervisor)
    assert client.get(url(ranked.county)).status_code == 404
    assert client.get(url(ranked.town_b)).status_code == 404
    assert client.post(url(ranked.county), {"month": f"{month:%Y-%m}"}).status_code == 404
    assert client.get(url(ranked.town_a)).status_code == 200
    with pytest.raises(notices.NotFoundError):
        notices.notice_issue(user=town_supervisor, area_code=ranked.county.code, month=month, basis="area")
    assert notices.notice_issued(ranked.county, month) is None
    # A village has nothing below it to rank.
    assert client.get(url(ranked.village_a)).status_code == 404
    # Issuing (POST) is refused to every role without a dashboard, inside the area too, and issues nothing.
    for role in (Role.MEDIATOR, Role.DEPARTMENT_STAFF, Role.DISPATCHER, Role.CALLBACK_CALLER):
        client.force_login(make_staff(role, area=ranked.county))
        assert client.get(url(ranked.county)).status_code == 403
        assert client.post(url(ranked.county), {"month": f"{month:%Y-%m}", "basis": "area"}).status_code == 403
    client.logout()
    assert client.post(url(ranked.county), {"month": f"{month:%Y-%m}", "basis": "area"}).status_code == 302
    assert notices.notice_issued(ranked.county, month) is None


def test_the_dashboards_ranking_section_links_to_the_notice(client, ranked, make_staff, month):
    client.force_login(make_staff(Role.SUPERVISOR, area=ranked.county))
    body = client.get(reverse("disputes:dashboard_area", args=[ranked.county.code])).content.decode()
    link = reverse("disputes:ranking_notice", args=[ranked.county.code])
    assert f'href="{link}?' in body
    section = body[body.index('id="ranking_townships"') :]
    assert link in section[: section.index("</section>")]


def test_the_month_follows_the_dashboards_period():
    from django.http import QueryDict

    from disputes.staff.ranking_notice import _month

    assert _month("2026-11") == date(2026, 11, 1)
    assert _month(None, QueryDict("kind=quarter&quarter=2026-Q3")) == date(2026, 9, 1)
    assert _month("garbage") == add_months(month_start(timezone.localdate()), -1)


def _rebuilt_with_more_cases(tree, month):
    """The month's rollups as a rebuild with late-registered cases leaves them: 朝阳洲街道 now resolves all its
    cases and 南浦街道 fewer, the district 95.0% resolved and every party reached satisfied."""
    rows = DisputeRollup.objects.filter(grain=DisputeRollup.Grain.MONTH, day=month, dimension="all")
    rows.filter(area_path=tree.town_a.path).update(registered=20, submitted=20, registered_resolved=18, concluded=20)
    rows.filter(area_path=tree.town_b.path).update(registered=20, submitted=20, registered_resolved=20, concluded=20)
    rows.filter(area_path=tree.county.path).update(
        registered=40, submitted=40, registered_resolved=38, concluded=40, parties_reached=20, parties_satisfied=20
    )


def test_an_issued_notice_prints_as_issued_after_the_rollups_change(client, ranked, make_staff, month, settings):
    supervisor = make_staff(Role.SUPERVISOR, area=ranked.county)
    client.force_login(supervisor)
    issued_weights = ranking.weights()
    issued, new = notices.notice_issue(user=supervisor, area_code=ranked.county.code, month=month, basis="area")
    assert new
    before = article(client.get(url(ranked.county, month=f"{month:%Y-%m}")).content.decode())

    _rebuilt_with_more_cases(ranked, month)
    settings.RANKING_WEIGHTS = {"resolution": 50, "on_time": 50}

    body = client.get(url(ranked.county, month=f"{month:%Y-%m}")).content.decode()
    sheet = article(body)
    assert sheet == before  # word for word, the day it was issued
    assert "75.0%" in sheet and "91.7%" in sheet and "95.0%" not in sheet
    assert str(ranking.weights_text(issued_weights)) in sheet
    laggards = re.findall(r"<p data-laggards>(.*?)</p>", sheet, re.S)
    assert ranked.town_b.name in laggards[0] and ranked.town_a.name not in laggards[0]
    assert "data-preview" not in body and 'href="' in body and "live=1" in body

    # The figures as they are now, beside it: the new counts, no number, and nothing to issue.
    body = client.get(url(ranked.county, month=f"{month:%Y-%m}", live=1)).content.decode()
    live = article(body)
    assert "95.0%" in live and "100.0%" in live and "75.0%" not in live
    assert "〔" not in live and "data-preview" in body and issued.document_number in body
    assert 'method="post"' not in body
    laggards = re.findall(r"<p data-laggards>(.*?)</p>", live, re.S)
    assert ranked.town_a.name in laggards[0] and ranked.town_b.name not in laggards[0]
    assert str(ranking.weights_text({"resolution": 50, "on_time": 50})) in live

    # Issuing again still returns the notice as issued, its snapshot untouched.
    again, new = notices.notice_issue(user=supervisor, area_code=ranked.county.code, month=month, basis="area")
    assert not new and again.number == issued.number
    assert RankingNotice.objects.get(area=ranked.county, month=month).snapshot == issued.record.snapshot


def test_the_notice_shows_who_issued_it_and_when(client, ranked, make_staff, month):
    supervisor = make_staff(Role.SUPERVISOR, area=ranked.county)
    client.force_login(supervisor)
    assert "data-issuer" not in client.get(url(ranked.county, month=f"{month:%Y-%m}")).content.decode()
    client.post(url(ranked.county), {"month": f"{month:%Y-%m}", "basis": "area"})
    record = RankingNotice.objects.get(area=ranked.county, month=month)
    assert record.issued_by == supervisor and record.office_name and record.office_code == "西湖矛调通"
    issuer = re.findall(
        r"<p[^>]*data-issuer>(.*?)</p>",
        article(client.get(url(ranked.county, month=f"{month:%Y-%m}")).content.decode()),
        re.S,
    )
    name = person_name(supervisor)
    assert name and name in issuer[0]
    issued_at = timezone.localtime(record.issued_at)
    assert f"{issued_at:%H:%M}" in issuer[0]

    # Another supervisor reading it sees the same issuer; a deleted account leaves the notice and the name.
    reader = make_staff(Role.SUPERVISOR, area=ranked.county)
    client.force_login(reader)
    assert name in client.get(url(ranked.county, month=f"{month:%Y-%m}")).content.decode()
    supervisor.delete()
    record.refresh_from_db()
    assert record.issued_by is None and record.issued_by_name == name
    sheet = article(client.get(url(ranked.county, month=f"{month:%Y-%m}")).content.decode())
    issuer = re.findall(r"<p[^>]*data-issuer>(.*?)</p>", sheet, re.S)
    assert name in issuer[0] and record.number_text in sheet


def test_the_admin_shows_issued_notices_read_only(client, ranked, make_staff, month):
    from tests.factories import UserFactory

    supervisor = make_staff(Role.SUPERVISOR, area=ranked.county)
    issued, _new = notices.notice_issue(user=supervisor, area_code=ranked.county.code, month=month, basis="area")
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    listing = client.get(reverse("admin:disputes_rankingnotice_changelist")).content.decode()
    assert issued.document_number in listing and person_name(supervisor) in listing
    change = client.get(reverse("admin:disputes_rankingnotice_change", args=[issued.record.pk]))
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
    assert client.get(reverse("admin:disputes_rankingnotice_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:disputes_rankingnotice_delete", args=[issued.record.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert RankingNotice.objects.filter(pk=issued.record.pk).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_supervisors_issuing_at_once_get_one_notice_and_one_number(ranked, make_staff, month):
    people = [
        make_staff(Role.SUPERVISOR, area=area) for area in (ranked.county, ranked.county, ranked.city, ranked.county)
    ]
    barrier = threading.Barrier(len(people))
    results: list[tuple[str, bool]] = []
    errors: list[BaseException] = []

    def run(user):
        try:
            barrier.wait(10)
            notice, new = notices.notice_issue(user=user, area_code=ranked.county.code, month=month, basis="area")
            results.append((notice.document_number, new))
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(user,)) for user in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert not errors, errors
    year = timezone.localdate().year
    assert sorted(results) == sorted([(f"西湖矛调通〔{year}〕1号", False)] * 3 + [(f"西湖矛调通〔{year}〕1号", True)])
    assert RankingNotice.objects.filter(area=ranked.county, month=month).count() == 1
    assert DocumentCounter.objects.get(issuer=f"area:{ranked.county.pk}", kind=notices.KIND, year=year).last_number == 1


def test_the_issued_notice_reads_in_chinese(client, ranked, make_staff, month):
    """Needs the compiled translations (locale/zh_Hans): 签发人/签发时间 in Chinese, and the office's name as
    issued in Chinese even when the supervisor who issued it read the site in English."""
    supervisor = make_staff(Role.SUPERVISOR, area=ranked.county)
    with translation.override("en"):
        notices.notice_issue(user=supervisor, area_code=ranked.county.code, month=month, basis="area")
    client.force_login(supervisor)
    with translation.override("zh-hans"):
        body = client.get(url(ranked.county, month=f"{month:%Y-%m}")).content.decode()
    sheet = article(body)
    assert "西湖区社会矛盾纠纷调处化解中心" in sheet
    issuer = re.findall(r"<p[^>]*data-issuer>(.*?)</p>", sheet, re.S)[0]
    assert f"签发人：{person_name(supervisor)}" in issuer and "签发时间：" in issuer
    text = re.sub(r"<[^>]+>", "", sheet)
    assert not re.search(r"[\u4e00-\u9fff][,:;()]", text)
    assert not ISO_DATE.search(sheet)
