"""Shared for the 民转刑 / 刑转命 tests: the 督办 fixtures (offices, their supervisors, township A's case) and a
`record` shortcut with valid values."""

from datetime import date, timedelta

from disputes.services import conversions
from tests.disputes.orders import NOW, actor

TODAY = NOW.date()  # 2026-12-07; the case was submitted on 2026-12-05


def record(case, user, **kw):
    values = {
        "kind": "criminal",
        "police_case_number": "A3601030500002026120001",
        "police_unit": "西湖分局南浦派出所",
        "occurred_on": TODAY - timedelta(days=1),
        "reported_on": TODAY,
        "summary": "双方因噪音再次冲突，李四持械伤人，已被刑事立案。",
    }
    values.update(kw)
    return conversions.conversion_record(actor(user), case, **values)


def review(conversion, user, **kw):
    values = {
        "missed": "红单风险未及时上报，未组织第二次调解。",
        "responsible": "南浦街道人民调解委员会",
        "changes": "红单案件二十四小时内上报街道。",
        "accountability": "reminder",
        "notes": "对承办调解员进行提醒谈话。",
    }
    values.update(kw)
    return conversions.conversion_review(actor(user), conversion, **values)


def day(text: str) -> date:
    return date.fromisoformat(text)
