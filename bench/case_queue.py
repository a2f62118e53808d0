"""The workbench queue (API and page) under gunicorn on PostgreSQL with many cases stored.

    python bench/case_queue.py                      # 1,000,000 stored cases (seeding 1M takes minutes)
    python bench/case_queue.py --cases 20000        # a quick run

What it does:

1. makes sure the database (DATABASE_URL, default bench_queue on 127.0.0.1) exists,
   is migrated and holds at least --cases cases (`seed_demo --cases N --force`
   tops it up; a second run adds nothing). The name must start with bench_.
2. counts the SQL queries of one queue request in this process (Django's test
   client, CaptureQueriesContext) for page sizes 10, 25 and 100, first page and
   a later one: the count must not change with the page size or the depth.
3. starts gunicorn with 2 workers (gthread, 2 threads each, as docker/gunicorn.conf.py)
   with DEBUG=0 and Redis as the cache (db 6), and signs in through the login
   form as the demo supervisor (zhuguan: every open case of the city, the longest
   queue) and the demo mediator (tiaojie: their own cases, where they land).
4. follows the supervisor's "next" cursor --depth pages deep (default 50 pages of
   25), then measures with 8 client threads on keep-alive connections:
   the API's first page, the API at that deep cursor, the page's first page and
   the page at the deep cursor (supervisor), and the mediator's first page (API
   and page); then the supervisor's page filtered on closed cases (the archive:
   nearly all of the stored cases) and searched: a two-character name taken
   from the data, among the open cases and among the closed ones, and a term
   found nowhere among the closed ones (the whole archive checked). Each
   scenario runs --requests requests or --seconds seconds.
5. prints the figures; the last line is one JSON object:
   {"scenario": "case_queue", "cases": …, "p50_ms": …, "p95_ms": …, "per_s": …, ...}
   where p50/p95/per_s are over the four supervisor scenarios together and the
   extra keys give each scenario's p95 and the query counts.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.submit import (  # noqa: E402
    ensure_database,
    env_for,
    free_port,
    machine_busy,
    manage,
    query,
    start_gunicorn,
    stop,
)

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/bench_queue"
PASSWORD = "demo-password-2026"  # noqa: S105 - the demo logins of demo/places.py (DEMO_PASSWORD)
SUPERVISOR = "zhuguan"
MEDIATOR = "tiaojie"
API = "/api/v1/queue/"
PAGE = "/work/"
# Two rare characters no demo description or name contains.
NOWHERE = "龘龘"


# --- A keep-alive GET driver with a session cookie ----------------------------------------------------------


@dataclass
class Timings:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    elapsed: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, status: int, latency: float) -> None:
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if status == 200:
                self.latencies.append(latency)
            else:
                self.errors += 1

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]

    def ms(self, p: float) -> float:
        return round(self.percentile(p) * 1000, 1)

    def per_s(self) -> float:
        return round(len(self.latencies) / self.elapsed, 1) if self.elapsed else 0.0


def get(conn: http.client.HTTPConnection, path: str, cookie: str) -> tuple[int, bytes]:
    conn.request("GET", path, headers={"Cookie": cookie, "Accept-Language": "zh-hans"})
    response = conn.getresponse()
    return response.status, response.read()


def drive_get(*, port: int, path: str, cookie: str, concurrency: int, total: int, seconds: float) -> Timings:
    """`concurrency` threads on keep-alive connections GET `path` until `total` requests or `seconds` pass."""
    result = Timings()
    remaining = iter(range(total))
    counter_lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def take() -> bool:
        with counter_lock:
            return next(remaining, None) is not None and time.monotonic() < deadline

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while take():
            started = time.perf_counter()
            try:
                status, _body = get(conn, path, cookie)
            except (OSError, http.client.HTTPException):
                result.record(0, time.perf_counter() - started)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            result.record(status, time.perf_counter() - started)
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.elapsed = time.perf_counter() - started
    return result


# --- Signing in through the login form ----------------------------------------------------------------------


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    found = {}
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            found[name.strip()] = rest.split(";", 1)[0]
    return found


def login(port: int, username: str) -> str:
    """POST the login form like a browser; returns the Cookie header of the signed-in session."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/accounts/login/")
    response = conn.getresponse()
    html = response.read().decode()
    cookies = _cookies(response)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if token is None or "csrftoken" not in cookies:
        sys.exit("The login page has no CSRF token.")
    body = urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)})
    conn.request(
        "POST",
        "/accounts/login/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookies['csrftoken']}",
            "Referer": f"http://127.0.0.1:{port}/accounts/login/",
        },
    )
    response = conn.getresponse()
    response.read()
    cookies.update(_cookies(response))
    conn.close()
    if response.status != 302 or "sessionid" not in cookies:
        sys.exit(f"Signing in as {username} failed ({response.status}). Was seed_demo run?")
    landing = response.getheader("Location", "")
    log(f"  {username} signed in; lands on {landing}")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def follow_cursor(port: int, cookie: str, *, depth: int, page_size: int) -> tuple[str | None, int]:
    """Follow the API's `next` links `depth` times; returns the cursor reached and the pages followed."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    path = f"{API}?{urlencode({'scope': 'area', 'page_size': page_size})}"
    cursor, pages = None, 0
    for _ in range(depth):
        status, body = get(conn, path, cookie)
        if status != 200:
            sys.exit(f"GET {path} answered {status}: {body[:300]!r}")
        data = json.loads(body)
        if not data["next_cursor"]:
            break
        cursor = data["next_cursor"]
        pages += 1
        path = f"{API}?{urlencode({'scope': 'area', 'page_size': page_size, 'cursor': cursor})}"
    conn.close()
    return cursor, pages


# --- Query counts, in this process -------------------------------------------------------------------------


def count_queries(env: dict[str, str]) -> dict:
    """SQL statements per queue request (API and page) for page sizes 10/25/100, first page and the next."""
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts: dict = {}
    for username in (SUPERVISOR, MEDIATOR):
        user = get_user_model().objects.get(username=username)
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        per_user: dict = {}
        for size in (10, 25, 100):
            for kind, path in (("api", API), ("page", PAGE)):
                with CaptureQueriesContext(connection) as first:
                    response = client.get(path, {"page_size": size})
                if response.status_code != 200:
                    sys.exit(f"{path} answered {response.status_code} for {username}")
                key = f"{kind}_{size}"
                per_user[key] = len(first)
                if kind == "api" and response.json()["next_cursor"]:
                    with CaptureQueriesContext(connection) as later:
                        client.get(path, {"page_size": size, "cursor": response.json()["next_cursor"]})
                    per_user[f"{key}_next"] = len(later)
        counts[username] = per_user
    connection.close()
    return counts


def cpu_by_process(names: tuple[str, ...], *, group: int) -> dict[int, tuple[str, float]]:
    """{pid: (name, CPU seconds)} of the running processes by name (gunicorn: its process group), from /proc.

    Per process, so that a process of another program that ends while measuring
    (e.g. another PostgreSQL backend) does not make the totals go down.
    """
    found: dict[int, tuple[str, float]] = {}
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        name = "gunicorn" if int(fields[2]) == group else comm
        if name in names:
            found[int(stat.parent.name)] = (name, (int(fields[11]) + int(fields[12])) / tick)
    return found


def cpu_used(before: dict, after: dict) -> dict[str, float]:
    used: dict[str, float] = {}
    for pid, (name, seconds) in after.items():
        used[name] = used.get(name, 0.0) + seconds - (before[pid][1] if pid in before else 0.0)
    return {name: round(seconds, 1) for name, seconds in used.items()}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main() -> None:
    venv = ROOT / ".venv"
    if (venv / "bin" / "python").exists() and Path(sys.prefix).resolve() != venv.resolve():
        os.execv(str(venv / "bin" / "python"), [str(venv / "bin" / "python"), *sys.argv])  # noqa: S606
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--cases", type=int, default=1_000_000, help="Stored cases before the run (topped up).")
    parser.add_argument("--requests", type=int, default=1_000, help="Requests per scenario.")
    parser.add_argument("--seconds", type=float, default=30, help="At most this long per scenario.")
    parser.add_argument("--warmup", type=int, default=40, help="Unmeasured requests before each scenario.")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="Threads per gthread worker.")
    parser.add_argument("--depth", type=int, default=50, help="Pages to follow for the deep cursor.")
    parser.add_argument("--page-size", type=int, default=25)
    parser.add_argument("--redis-cache", default="redis://127.0.0.1:6379/6", help="The cache (not emptied).")
    args = parser.parse_args()

    if urlparse(args.database_url).scheme not in ("postgres", "postgresql"):
        sys.exit("The benchmark runs on PostgreSQL: set DATABASE_URL or --database-url to postgres://…/bench_….")
    ensure_database(args.database_url)
    var_dir = tempfile.mkdtemp(prefix="bench-queue-")
    # No broker is needed to read the queue; memory:// keeps sign-in side effects in process.
    env = env_for(args.database_url, var_dir, args.redis_cache, "memory://")

    log("Migrating…")
    manage("migrate", "--noinput", "-v", "0", env=env)
    log(f"Making sure {args.cases:,} cases are stored (seed_demo --cases {args.cases} --force)…")
    started = time.monotonic()
    manage("seed_demo", "--cases", str(args.cases), "--force", env=env)
    log(f"  ready in {time.monotonic() - started:.0f} s")
    stored = query(args.database_url, "SELECT count(*) FROM disputes_dispute")[0][0]
    open_cases = query(
        args.database_url,
        "SELECT count(*) FROM disputes_dispute WHERE status IN "
        "('submitted','triaged','dispatched','returned','accepted','in_mediation','reopened')",
    )[0][0]
    # Fresh statistics, as autovacuum would have after a bulk load.
    query(args.database_url, "ANALYZE disputes_dispute; SELECT 1")
    log(f"{stored:,} cases stored, {open_cases:,} of them open.")

    log("Counting SQL queries per request (in process)…")
    queries = count_queries(env)
    for username, per in queries.items():
        log(f"  {username}: " + ", ".join(f"{k} {v}" for k, v in per.items()))

    port = free_port()
    gunicorn_log = Path(var_dir) / "gunicorn.log"
    process = start_gunicorn(
        env=env, port=port, workers=args.workers, threads=args.threads, worker_class="gthread", log=gunicorn_log
    )
    results: dict[str, Timings] = {}
    try:
        supervisor = login(port, SUPERVISOR)
        mediator = login(port, MEDIATOR)
        cursor, pages = follow_cursor(port, supervisor, depth=args.depth, page_size=args.page_size)
        log(f"Deep cursor: {pages} pages of {args.page_size} in ({pages * args.page_size:,} rows).")
        size = {"page_size": args.page_size}
        # A two-character name as staff type it: the first two characters of a stored three-character name.
        name = query(args.database_url, "SELECT name FROM disputes_party WHERE length(name) = 3 ORDER BY id LIMIT 1")
        name = name[0][0][:2] if name else "张伟"
        log(f"Search term: {name!r}; a term found nowhere: {NOWHERE!r}.")
        deep = {"scope": "area", **size, **({"cursor": cursor} if cursor else {})}
        scenarios = {
            "api_first": (supervisor, f"{API}?{urlencode({'scope': 'area', **size})}"),
            "api_deep": (supervisor, f"{API}?{urlencode(deep)}"),
            "page_first": (supervisor, f"{PAGE}?{urlencode({'scope': 'area', **size})}"),
            "page_deep": (supervisor, f"{PAGE}?{urlencode(deep)}"),
            "mediator_api_first": (mediator, f"{API}?{urlencode(size)}"),
            "mediator_page_first": (mediator, f"{PAGE}?{urlencode(size)}"),
            "page_closed": (supervisor, f"{PAGE}?{urlencode({'status': 'closed', **size})}"),
            "search_name_open": (supervisor, f"{PAGE}?{urlencode({'q': name, **size})}"),
            "search_name_closed": (supervisor, f"{PAGE}?{urlencode({'q': name, 'status': 'closed', **size})}"),
            "search_nothing_closed": (supervisor, f"{PAGE}?{urlencode({'q': NOWHERE, 'status': 'closed', **size})}"),
        }
        watched = ("gunicorn", "postgres", "redis-server")
        cpu_before, machine_before = cpu_by_process(watched, group=process.pid), machine_busy()
        client_before = time.process_time()
        measured_from = time.monotonic()
        for name, (cookie, path) in scenarios.items():
            common = {"port": port, "path": path, "cookie": cookie, "concurrency": args.concurrency}
            drive_get(**common, total=args.warmup, seconds=10)
            results[name] = drive_get(**common, total=args.requests, seconds=args.seconds)
            r = results[name]
            log(
                f"  {name:<20} {len(r.latencies):>5} ok  p50 {r.ms(50):>6} ms  p95 {r.ms(95):>6} ms  "
                f"p99 {r.ms(99):>6} ms  {r.per_s():>6}/s  statuses {dict(sorted(r.statuses.items()))}"
            )
        measured = time.monotonic() - measured_from
        cpu_after, machine_after = cpu_by_process(watched, group=process.pid), machine_busy()
        client_cpu = time.process_time() - client_before
    finally:
        stop(process)
        server_log = gunicorn_log.read_text(errors="replace") if gunicorn_log.exists() else ""
        shutil.rmtree(var_dir, ignore_errors=True)

    if cpu_after:
        used = cpu_used(cpu_before, cpu_after)
        used["load generator"] = round(client_cpu, 1)
        busy = machine_after[0] - machine_before[0]
        others = max(0.0, busy - sum(used.values()))
        requests = sum(len(r.latencies) for r in results.values())
        log(
            f"CPU seconds while measuring ({measured:.0f} s, {requests} requests): {used}; {os.cpu_count()} CPUs, "
            f"{busy / measured:.2f} busy on average, {others / measured:.2f} of them by other programs "
            "(PostgreSQL backends of other programs count as postgres above)"
        )
        figures_cpu = {"gunicorn_cpu_ms_per_request": round(used.get("gunicorn", 0.0) / max(requests, 1) * 1000, 1)}
    else:
        figures_cpu = {}
    if any(r.errors for r in results.values()) and server_log:
        log(server_log[-3000:])

    supervisor_runs = [results[k] for k in ("api_first", "api_deep", "page_first", "page_deep")]
    combined = Timings(latencies=[x for r in supervisor_runs for x in r.latencies])
    combined.elapsed = sum(r.elapsed for r in supervisor_runs)
    figures = {
        "scenario": "case_queue",
        "cases": stored,
        "open_cases": open_cases,
        "p50_ms": combined.ms(50),
        "p95_ms": combined.ms(95),
        "per_s": combined.per_s(),
        "errors": sum(r.errors for r in results.values()),
        "deep_rows": pages * args.page_size,
        **{f"{name}_p95_ms": r.ms(95) for name, r in results.items()},
        **{f"{name}_per_s": r.per_s() for name, r in results.items()},
        "queries_per_request": queries,
        **figures_cpu,
    }
    print(json.dumps(figures, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
