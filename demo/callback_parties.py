"""回访到人: the demo's callbacks as the parties answered them.

The bulk case loader writes each case's callback verdict on the case only. The
figures count parties reached (满意率 by parties, `disputes.statistics`), so the
demo adds the callback attempts behind each verdict: the first applicant's
answer (the case's verdict) and, on every other case, the first respondent's,
less often satisfied (one in five dissatisfied). One set-based statement per
role, for cases that have no attempt yet, so running it again adds nothing.
"""

from django.db import connection

from disputes.models import CallbackAttempt, Dispute, Party

VERDICTS = ("satisfied", "basically_satisfied", "dissatisfied")


def seed_callback_attempts() -> int:
    """Add the parties' callback attempts to the cases with a verdict and none recorded; return how many."""
    attempt, dispute, party = CallbackAttempt._meta.db_table, Dispute._meta.db_table, Party._meta.db_table
    verdicts = ", ".join(f"'{v}'" for v in VERDICTS)
    # The respondent's answer: the case's verdict, but dissatisfied on one case in five.
    respondent = "CASE WHEN d.id %% 5 = 0 THEN 'dissatisfied' ELSE d.callback_result END"
    added = 0
    with connection.cursor() as cursor:
        for role, satisfaction, every_other in (
            ("applicant", "d.callback_result", ""),
            ("respondent", respondent, "AND d.id %% 2 = 0"),
        ):
            cursor.execute(
                f"INSERT INTO {attempt} (dispute_id, at, source, reached, satisfaction, remarks, caller_id, party_id) "  # noqa: S608  # nosec B608
                f"SELECT d.id, COALESCE(d.closed_at, d.reported_at), 'caller', TRUE, {satisfaction}, '', NULL, "
                f"(SELECT MIN(p.id) FROM {party} p WHERE p.dispute_id = d.id AND p.role = %s) "
                f"FROM {dispute} d WHERE d.callback_result IN ({verdicts}) AND d.reported_at IS NOT NULL {every_other} "
                f"AND EXISTS (SELECT 1 FROM {party} p WHERE p.dispute_id = d.id AND p.role = %s) "
                f"AND NOT EXISTS (SELECT 1 FROM {attempt} a WHERE a.dispute_id = d.id AND a.source = 'caller' "
                f"AND a.party_id IN (SELECT p.id FROM {party} p WHERE p.dispute_id = d.id AND p.role = %s))",
                [role, role, role],
            )
            added += max(cursor.rowcount, 0)
    return added
