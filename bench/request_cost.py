"""What one request of each kind of the mixed load costs the web process: CPU, wall time and queries.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_mixed python bench/request_cost.py
    … python bench/request_cost.py --runs 100 --only mediator_case_page --profile 25

In-process (Django's test client, the whole middleware stack, DEBUG off), one
request at a time, against the database bench/mixed_load.py uses (seed it with
that script first). No gunicorn, no network, no other load: the figures are the
application's own cost, the number to divide into the machine's CPU time when
asking how many requests a second two cores can serve. CPU is this process's
user + system time (time.process_time), so PostgreSQL's and Redis's share is
not in it; "queries" is counted in a separate pass with the query log on.

The weighted mean uses bench/mixed_load.py's mix. `--profile N` prints the N
functions with the most cumulative time for each endpoint measured (cProfile),
to stderr. The last stdout line is one JSON object:
{"scenario": "request_cost", "cases": …, "p50_ms": …, "p95_ms": …, "per_s": …,
 "cpu_ms_weighted": …, "endpoints": {name: {"cpu_ms", "wall_p50_ms", "wall_p95_ms", "queries"}}}
where p50/p95 are of wall time over all requests and per_s is what the measured
CPU alone would allow on one core (1000 / weighted CPU ms).
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import log, percentile  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/bench_mixed"


def setup() -> None:
    """The server settings of bench/mixed_load.py, in this process (the test client stands in for gunicorn)."""
    from bench.mixed_load import MIX_ENV
    from bench.submit import env_for

    env = env_for(
        os.environ.get("DATABASE_URL", DEFAULT_DB),
        os.environ.get("VAR_DIR", str(Path("/tmp") / "request-cost-var")),  # noqa: S108
        os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/6"),
        os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/7"),
    )
    os.environ.update({**env, **MIX_ENV, "ALLOWED_HOSTS": "127.0.0.1,testserver"})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.chdir(ROOT)
    import django

    django.setup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=60, help="measured requests per endpoint (default 60)")
    parser.add_argument("--only", action="append", help="measure only this endpoint (repeatable)")
    parser.add_argument("--profile", type=int, default=0, help="print the top N functions of each endpoint")
    args = parser.parse_args()
    setup()

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection, reset_queries
    from django.test import Client

    from bench.mixed_load import CALLERS, MEDIATORS, SUPERVISORS, WEIGHTS, Staff, World, make_request
    from bench.submit import Payloads
    from disputes.models import Category, Dispute
    from grids.models import Area

    users = get_user_model().objects.in_bulk([*MEDIATORS, *SUPERVISORS, *CALLERS], field_name="username")
    missing = {*MEDIATORS, *SUPERVISORS, *CALLERS} - set(users)
    if missing:
        sys.exit(f"No account {sorted(missing)}: seed the database with bench/mixed_load.py first.")

    # The test client stands in for gunicorn; the requests are the load test's own (make_request),
    # each signed-in one carrying its user's session cookie as the load test's clients do.
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans", HTTP_HOST="127.0.0.1")

    def staff(username: str) -> Staff:
        signed_in = Client()
        signed_in.force_login(users[username])
        session = signed_in.cookies[settings.SESSION_COOKIE_NAME].value
        return Staff(username, f"{settings.SESSION_COOKIE_NAME}={session}")

    def queue_numbers(who: Staff, scope: str) -> list[str]:
        page = client.get(f"/api/v1/queue/?scope={scope}&page_size=100", headers={"Cookie": who.cookie}).json()
        return [row["tracking_number"] for row in page["results"]]

    mediators = [staff(name) for name in MEDIATORS]
    for who in mediators:
        # What each mediator may open: their queue tabs, as the load test reads them.
        who.scopes = client.get("/api/v1/queue/?page_size=1", headers={"Cookie": who.cookie}).json()["scopes"]
        who.cases = [number for scope in who.scopes for number in queue_numbers(who, scope)]
        who.own_cases = queue_numbers(who, "mine") if "mine" in who.scopes else []
    supervisors = [staff(name) for name in SUPERVISORS]
    for who in supervisors:
        home = users[who.username].staff.area.path
        who.drill_codes = list(
            Area.objects.filter(level__in=(2, 3), path__startswith=home)
            .exclude(path=home)
            .values_list("code", flat=True)
        )
    world = World(
        mediators=mediators,
        supervisors=supervisors,
        callers=[staff(name) for name in CALLERS],
        payloads=Payloads(
            categories=list(Category.objects.filter(is_active=True).values_list("code", flat=True)),
            grids=list(Area.objects.filter(level__gte=4).values_list("code", flat=True)),
            seed=time.time_ns() % 1_000_000,  # new phones each run: a repeated one is linked as a possible duplicate
        ),
    )
    rnd = random.Random(11)

    def one(name: str):
        if name == "resident_track" and not world.submitted:
            one("resident_submit")
        (method, path, body, headers, ok), submission = make_request(name, world, rnd)
        headers = dict(headers)
        content_type = headers.pop("Content-Type", None)
        extra = {"content_type": content_type} if content_type else {}
        response = client.generic(method, path, body or b"", headers=headers, **extra)
        if response.status_code not in ok:
            sys.exit(f"{name} answered {response.status_code}: {response.content[:300]!r}")
        if submission is not None:
            world.submitted.append((response.json()["tracking_number"], submission["applicant"]["phone"]))
        return response

    names = args.only or list(WEIGHTS)
    results: dict[str, dict] = {}
    all_walls: list[float] = []
    for name in names:
        for _ in range(5):  # warm caches and connections
            one(name)
        walls, cpu_total = [], 0.0
        profiler = cProfile.Profile() if args.profile else None
        for _ in range(args.runs):
            c0, w0 = time.process_time(), time.perf_counter()
            if profiler:
                profiler.enable()
            one(name)
            if profiler:
                profiler.disable()
            cpu_total += time.process_time() - c0
            walls.append(time.perf_counter() - w0)
        settings.DEBUG = True  # the query log, for a separate pass
        counts = []
        for _ in range(5):
            reset_queries()
            one(name)
            counts.append(len(connection.queries))
        settings.DEBUG = False
        results[name] = {
            "cpu_ms": round(cpu_total / args.runs * 1000, 2),
            "wall_p50_ms": round(percentile(walls, 50) * 1000, 1),
            "wall_p95_ms": round(percentile(walls, 95) * 1000, 1),
            "queries": max(counts),
        }
        all_walls += walls
        log(
            f"{name:22} cpu {results[name]['cpu_ms']:7.2f} ms  wall p50 {results[name]['wall_p50_ms']:7.1f} ms  "
            f"queries {results[name]['queries']}"
        )
        if profiler:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.profile)
            log(out.getvalue())
    weight = sum(WEIGHTS[n] for n in names)
    weighted = sum(results[n]["cpu_ms"] * WEIGHTS[n] for n in names) / weight
    log(f"weighted CPU per request: {weighted:.2f} ms -> {1000 / weighted:.0f} requests/s per core (web process only)")
    print(
        json.dumps(
            {
                "scenario": "request_cost",
                "cases": Dispute.objects.count(),
                "p50_ms": round(percentile(all_walls, 50) * 1000, 1),
                "p95_ms": round(percentile(all_walls, 95) * 1000, 1),
                "per_s": round(1000 / weighted, 1),
                "cpu_ms_weighted": round(weighted, 2),
                "endpoints": results,
            }
        )
    )


if __name__ == "__main__":
    main()
