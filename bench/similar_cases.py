"""Benchmark: 类案参考, the similar closed cases of one case, over a million stored cases.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_similar python bench/similar_cases.py

Fills the bench_ database with `seed_demo --cases N` (1,000,000 by default; kept between
runs). The demo generator writes no agreement texts, so the first run gives every closed
case resolved by agreement an agreement (terms, performance) in one INSERT … SELECT, kept too.

Then, in-process (the selector itself, as the case page and the API call it):

1. picks `--queries` cases (200 by default) spread over the categories and the city's
   grids, with a fixed seed;
2. for each, as the reader who would open it (its assigned mediator, else a city
   administrator), times `disputes.selectors.similar.similar_cases_for` after a warm-up: the ring
   queries, the candidates' parties, the scoring, the shortlist's agreements and places;
3. times, for the same cases and readers, two references on the same stack: the case
   page's own main query (the case by its number through `disputes_visible_to`, with
   the page's relations) and a `SELECT 1` round trip; the machine's speed varies from day
   to day, the ratios less.

Figures are printed last as one JSON line; target p95 < 150 ms.
"""

import argparse
import importlib.util
import random
import statistics
import sys
import time
from pathlib import Path

# Python puts bench/ first on sys.path, where a helper named like a standard module
# would shadow it: take bench/ off the path and load _common by file.
BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH]
_spec = importlib.util.spec_from_file_location("_common", BENCH / "_common.py")
_common = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_common)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000, help="Cases stored before measuring.")
    parser.add_argument("--queries", type=int, default=200, help="Query cases (each timed once after a warm-up).")
    parser.add_argument("--seed", type=int, default=7, help="Seed for picking the query cases.")
    return parser.parse_args()


AGREEMENTS_SQL = """
INSERT INTO disputes_agreement
    (created_at, updated_at, dispute_id, facts, points_in_dispute, terms, performance_method,
     perform_by, performance, performance_recorded_at, performance_remarks, drafted_by_id)
SELECT d.reported_at, d.reported_at, d.id, d.description,
       '双方就赔偿金额及支付方式存在分歧。',
       CASE d.id % 3
           WHEN 0 THEN '一、被申请人于' || CAST(d.id % 28 + 1 AS TEXT) || '日内一次性支付申请人人民币'
                       || CAST(COALESCE(d.amount, 3000) AS TEXT) || '元；二、双方就此事再无其他争议。'
           WHEN 1 THEN '一、被申请人分' || CAST(d.id % 5 + 2 AS TEXT) || '期支付申请人'
                       || CAST(COALESCE(d.amount, 3000) AS TEXT) || '元，每月15日前支付；二、申请人放弃其他请求。'
           ELSE '一、双方互谅互让，被申请人向申请人赔礼道歉；二、被申请人于次月底前整改完毕。'
       END,
       CASE d.id % 2 WHEN 0 THEN '当场现金支付，双方签字确认。' ELSE '转账支付至申请人账户。' END,
       NULL,
       CASE d.id % 10 WHEN 0 THEN 'not_performed' WHEN 1 THEN 'pending' ELSE 'performed' END,
       d.closed_at, '', NULL
FROM disputes_dispute d
WHERE d.outcome = 'agreement' AND d.reported_at IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM disputes_agreement a WHERE a.dispute_id = d.id)
"""


def top_up_agreements() -> None:
    from django.db import connection, transaction

    from disputes.models import Agreement, Dispute

    wanted = Dispute.objects.filter(outcome="agreement", reported_at__isnull=False).count()
    have = Agreement.objects.count()
    if have >= wanted:
        return
    _common.log(f"Writing agreements for {wanted - have:,} cases resolved by agreement…")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(AGREEMENTS_SQL)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE disputes_agreement")
    _common.log(f"  done in {time.perf_counter() - started:.1f} s")


def pick_queries(count: int, seed: int) -> list:
    """`count` cases over every category and many grids: per category, cases of random grids."""
    from disputes.models import Category, Dispute

    rng = random.Random(seed)
    categories = list(Category.objects.order_by("pk").values_list("pk", flat=True))
    top = Dispute.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    picked: dict[int, None] = {}
    tries = 0
    while len(picked) < count and tries < count * 50:
        tries += 1
        category = categories[len(picked) % len(categories)]
        start = rng.randrange(1, top + 1)
        pk = (
            Dispute.objects.filter(category_id=category, pk__gte=start)
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        if pk is not None:
            picked[pk] = None
    return list(
        Dispute.objects.filter(pk__in=list(picked)).select_related("assigned_mediator__staff__area", "category")
    )


def main() -> None:
    args = parse_args()
    _common.configure()
    _common.prepare(args.cases)
    _common.setup_django()

    from django.contrib.auth import get_user_model
    from django.db import connection

    from disputes.models import Dispute
    from disputes.selectors import disputes_visible_to
    from disputes.selectors import similar as similar_selectors
    from disputes.staff.case_page import PAGE_RELATIONS

    top_up_agreements()
    stored = Dispute.objects.count()
    admin = get_user_model().objects.filter(is_superuser=True, is_active=True).first()
    if admin is None:
        sys.exit("The demo data has no superuser.")
    queries = pick_queries(args.queries, args.seed)
    readers = [(case, case.assigned_mediator or admin) for case in queries]
    _common.log(
        f"{stored:,} cases stored; {len(queries)} query cases over "
        f"{len({c.category_id for c in queries})} categories and {len({c.grid_id for c in queries})} grids, "
        f"{sum(1 for c in queries if c.assigned_mediator_id)} read by their mediator, the rest by an administrator."
    )

    # Warm-up: a few cases, so that the first timings do not pay for imports and cold caches.
    for case, user in readers[:5]:
        similar_selectors.similar_cases_for(user=user, case=case)

    timings, shown = [], []
    for case, user in readers:
        started = time.perf_counter()
        rows = similar_selectors.similar_cases_for(user=user, case=case)
        timings.append(time.perf_counter() - started)
        shown.append(len(rows))

    history = []
    for case, user in readers:
        started = time.perf_counter()
        similar_selectors.party_history_for(user=user, case=case)
        history.append(time.perf_counter() - started)

    page_query = []
    for case, user in readers:
        started = time.perf_counter()
        disputes_visible_to(user).select_related(*PAGE_RELATIONS).filter(tracking_number=case.tracking_number).first()
        page_query.append(time.perf_counter() - started)

    round_trip = []
    with connection.cursor() as cursor:
        for _ in readers:
            started = time.perf_counter()
            cursor.execute("SELECT 1")
            cursor.fetchone()
            round_trip.append(time.perf_counter() - started)

    p50 = statistics.median(timings)
    figures = {
        "scenario": "similar_cases",
        "database": connection.vendor,
        "cases": stored,
        "queries": len(timings),
        "categories": len({c.category_id for c in queries}),
        "grids": len({c.grid_id for c in queries}),
        "shown_mean": round(statistics.mean(shown), 2),
        "party_history_p50_ms": _common.ms(statistics.median(history)),
        "party_history_p95_ms": _common.ms(_common.percentile(history, 95)),
        "page_query_p50_ms": _common.ms(statistics.median(page_query)),
        "select1_p50_ms": _common.ms(statistics.median(round_trip)),
        "ratio_to_page_query": round(p50 / statistics.median(page_query), 1),
        "ratio_to_select1": round(p50 / statistics.median(round_trip), 1),
        "p50_ms": _common.ms(p50),
        "p95_ms": _common.ms(_common.percentile(timings, 95)),
        "per_s": round(len(timings) / sum(timings), 1),
    }
    _common.emit(figures)


if __name__ == "__main__":
    main()
