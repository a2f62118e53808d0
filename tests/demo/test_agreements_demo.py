"""调解协议书 versions and 司法确认 in the demo: signed agreements on reported cases, two applications."""

import pytest

from disputes.models import Agreement, AgreementVersion, JudicialConfirmation
from disputes.rules.enums import EventKind, Outcome
from tests.demo.test_seed_demo import seed

pytestmark = pytest.mark.django_db


def test_the_demo_has_signed_agreements_and_applications_to_the_court():
    output = seed(cases=400)
    signed = AgreementVersion.objects.filter(frozen_by=AgreementVersion.FrozenBy.SIGNED)
    assert signed.exists() and "Agreements:" in output
    for version in signed:
        agreement = Agreement.objects.get(pk=version.agreement_id)
        assert agreement.signed_version_id == version.pk and agreement.dispute.outcome == Outcome.AGREEMENT
        assert version.effective_on is not None and version.terms == agreement.terms
        assert agreement.dispute.events.filter(kind=EventKind.AGREEMENT_SIGNED).exists()
    results = set(JudicialConfirmation.objects.values_list("result", flat=True))
    assert results <= {"pending", "confirmed"} and results
    for application in JudicialConfirmation.objects.all():
        assert application.area_path == application.dispute.area_path
    again = seed(cases=400)
    assert "Agreements:" not in again  # a second run adds none
