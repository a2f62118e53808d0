from disputes import services
from disputes.rules.enums import Channel, PartyRole, Status


def test_submit_then_route_without_rule_waits_for_dispatch(tree, category):
    case = services.dispute_submit(
        category=category,
        description="楼上漏水",
        grid=tree.grid_a,
        channel=Channel.WEB,
        parties=[{"role": PartyRole.APPLICANT, "name": "李四", "phone": "13900139000"}],
    )
    assert case.status == Status.SUBMITTED
    assert case.area_path == tree.grid_a.path
    routed = services.dispute_route(dispute_id=case.pk)
    assert routed.status == Status.TRIAGED
    assert [e.action for e in routed.events.all()] == ["submit", "triage"]
