"""A dispute whose party has an open petition is flagged yellow in triage (disputes' `open_petition` rule)."""

import pytest

from core.actors import Actor
from disputes import services as dispute_services
from disputes.rules.enums import Channel, Colour, PartyRole
from petitions import services
from petitions.selectors import open_petitions_count

from .conftest import PETITIONER

QUIET = "楼上卫生间漏水，多次沟通无果。"


def triaged(tree, category, party):
    case = dispute_services.dispute_submit(
        category=category,
        description=QUIET,
        grid=tree.grid_a,
        channel=Channel.WEB,
        parties=[{"role": PartyRole.APPLICANT, "name": "王五", **party}],
    )
    return dispute_services.dispute_route(dispute_id=case.pk)


def test_open_petitions_are_counted_by_phone_or_id_number(register, clerk):
    petition = register()
    assert open_petitions_count(phones={PETITIONER["phone"]}, id_numbers=set()) == 1
    assert open_petitions_count(phones=set(), id_numbers={PETITIONER["id_number"]}) == 1
    assert open_petitions_count(phones={"13000000000"}, id_numbers={"", "1"}) == 0
    assert open_petitions_count(phones=set(), id_numbers=set()) == 0
    services.petition_decide(petition=petition, actor=Actor.for_user(clerk), decision="not_accept", reason="不予受理")
    assert open_petitions_count(phones={PETITIONER["phone"]}, id_numbers=set()) == 0


@pytest.mark.parametrize("party", [{"phone": PETITIONER["phone"]}, {"id_number": PETITIONER["id_number"]}])
def test_a_dispute_by_someone_with_an_open_petition_gets_the_yellow_reason(register, tree, category, party):
    petition = register()
    case = triaged(tree, category, party)

    reasons = {r["rule"]: r for r in case.triage_reasons}
    # The reason names the petition, so a reader is shown it only if they may open that petition.
    assert reasons["open_petition"] == {
        "rule": "open_petition",
        "colour": "yellow",
        "params": {"count": 1},
        "sources": {"petitions": [petition.pk]},
    }
    assert case.colour == Colour.YELLOW


def test_no_open_petition_reason_once_the_petition_is_finished(register, tree, category, clerk):
    petition = register()
    services.petition_decide(
        petition=petition, actor=Actor.for_user(clerk), decision="refer", reason="转人社", referred_to="区人社局"
    )
    case = triaged(tree, category, {"phone": PETITIONER["phone"]})

    assert "open_petition" not in {r["rule"] for r in case.triage_reasons}
    assert case.colour == Colour.WHITE
