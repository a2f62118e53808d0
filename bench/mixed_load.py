"""The mixed load test: residents, mediators, supervisors and callers at once, with a million cases stored.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_mixed python bench/mixed_load.py            # 10 minutes
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_mixed python bench/mixed_load.py --seconds 60

What it runs (loopback only, everything started and stopped by the script):

- gunicorn with 2 gthread workers of 2 threads (as docker/gunicorn.conf.py), DEBUG=0;
  workers are not recycled unless --max-requests is given (the container's
  configuration recycles each after 2,000 ± 200 requests: `--max-requests 2000`);
- a Celery worker (prefork, concurrency 2, as docker-compose.yml) that routes the new
  cases and sends their SMS, and Celery beat (the sweeps every minute, the rollup
  refresh every 5 minutes), on PostgreSQL and Redis (cache db 6, broker db 7 by
  default; only the broker's own queue is purged, nothing is flushed);
- `--clients` client threads (8 by default), each on its own keep-alive
  connection, closed loop without think time: every client picks each request's
  endpoint at random with the weights below.

The database (DATABASE_URL; its name must start with bench_) is migrated and
topped up to --cases stored cases with `seed_demo --force`; the dashboard's
rollups are rebuilt when cases were added or none exist.

The mix (weights per 100 requests), and why
-------------------------------------------
Derived from a working day of the demo city (DOMAIN.md: residents submit a
few hundred disputes a day to a city centre; the staff who work them read their
queues and cases all day long). Per day, for a city like the demo one:

  residents   ~300 submissions; each applicant tracks the case 2-3 times  ->   300 + ~750
  mediators   ~120 people x ~40 queue views, ~30 case pages, ~6 notes      -> 4,800 + 3,600 + 720
  supervisors ~20 people x ~20 dashboard views, as many drill-downs        ->   400 + 400
  callers     ~10 people x ~60 callback-queue views                        ->   600

i.e. about 9 reads for every write, with the staff's queue and case pages
making up three quarters of the traffic. Rounded to weights, with each endpoint
given at least 4 so that its p99 rests on enough samples even in a short run
(the resident and supervisor endpoints are a little over-weighted for that):

  endpoint               weight  request
  resident_submit           4    POST /api/v1/public/cases/        (a new case: routing and SMS follow in the worker)
  resident_track            8    POST /api/v1/public/track/        (a case submitted earlier in the run, right phone)
  mediator_queue_page      22    GET  /work/                       (the mediator's first tab, 25 rows)
  mediator_queue_api       14    GET  /api/v1/queue/               (one of the mediator's tabs, 25 rows)
  mediator_case_page       26    GET  /work/case/<n>/              (a case from the mediator's queue)
  mediator_note             6    POST /api/v1/cases/<n>/notes/     (an internal note on one of their own cases)
  supervisor_dashboard      5    GET  /work/dashboard/             (their area, the default period)
  supervisor_drilldown      5    GET  /work/dashboard/<code>/      (a district or township below them)
  callback_queue_page       6    GET  /work/callbacks/
  callback_queue_api        4    GET  /api/v1/callbacks/

Writes are 10% of requests. Staff sign in once through the login form (the
demo accounts: four mediators, the city and a district supervisor, the caller);
the clients share those sessions, as several tabs of the same people would.

Why 8 clients: the load the product is sized for (8 people's requests in
flight at once on a 2-core server with 2 web workers). The server has
2 x 2 = 4 request threads, so a few requests always wait in gunicorn's queue
and every thread stays busy; more clients only lengthen that queue (the
throughput of 2 cores does not grow) and the latencies then measure the queue,
not the application. --clients changes it.

`--only a,b` runs those endpoints alone. Two more, outside the mix, give the
ceiling of this machine with this load generator: `reference_home_anonymous`
(the home page without a session: every middleware, one small template) and
`reference_home_signed_in` (the same page for a signed-in mediator: the session,
the user with their profile and area, the staff navigation). No mix of real
pages can go faster than the second.

Measured: per endpoint count, p50/p95/p99 of the successful requests and
errors (any other status than the expected one, or a broken connection);
throughput (successful requests a second) over the run and its lowest 10-second window; the peak memory
of each process group, sampled every second from /proc (Linux): gunicorn's
master and workers, the Celery worker (main process and pool), beat, the
PostgreSQL backends of this database (summed; PSS as well as RSS, since every
backend's RSS counts the shared buffers it touched) and the Redis server (the
whole instance, which other programs may share). After the run: how many of the
submitted cases the worker routed, and the task failures in its log.

The last stdout line is one JSON object:
{"scenario": "mixed_load", "cases": …, "p50_ms": …, "p95_ms": …, "per_s": …, "errors": …,
 "endpoints": {name: {"count", "p50_ms", "p95_ms", "p99_ms", "errors", "statuses"}}, "memory_mb": {…}, …}
"""

import argparse
import http.client
import json
import os
import random
import re
import shutil
import subprocess  # noqa: S404 - runs our own celery with fixed arguments
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import Worker, percentile  # noqa: E402
from bench.case_queue import PASSWORD, get  # noqa: E402
from bench.submit import (  # noqa: E402
    Payloads,
    ensure_database,
    env_for,
    free_port,
    machine_busy,
    manage,
    query,
    start_gunicorn,
    stop,
)

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/bench_mixed"
MEDIATORS = ("tiaojie", "tiaojie2", "tiaojie3", "tiaojie4")
SUPERVISORS = ("zhuguan", "zhuguan_xihu")
CALLERS = ("huifang",)
OPEN_STATUSES = ("submitted", "triaged", "dispatched", "returned", "accepted", "in_mediation", "reopened")

WEIGHTS = {
    "resident_submit": 4,
    "resident_track": 8,
    "mediator_queue_page": 22,
    "mediator_queue_api": 14,
    "mediator_case_page": 26,
    "mediator_note": 6,
    "supervisor_dashboard": 5,
    "supervisor_drilldown": 5,
    "callback_queue_page": 6,
    "callback_queue_api": 4,
}
# Not in the mix; run alone with --only to see what this machine and load generator can do at best:
# the cheapest page through every middleware (the home page, no session), and the same page signed in
# (the session, the user with their profile, the staff navigation): the fixed cost of every staff request.
REFERENCE = ("reference_home_anonymous", "reference_home_signed_in")
# What the run changes in the server's settings, beyond bench.submit.env_for (bench/request_cost.py too).
MIX_ENV = {
    # One client address for every resident: lift the per-address limits (the per-phone ones stay low:
    # every submission has its own phone, every look-up succeeds).
    "PUBLIC_TRACK_PER_IP_HOUR": str(10**9),
    "PUBLIC_TRACK_FAILURES_PER_IP_HOUR": str(10**9),
    "AXES_FAILURE_LIMIT": "1000",
    # Supervisors would pass a TOTP code once, at sign-in; the benchmark signs in with the password only.
    # Every request still goes through the two-factor middlewares.
    "TWO_FACTOR_REQUIRED": "0",
}
NOTES = (
    "已电话联系申请人，约定周三下午到调解室面谈。",
    "被申请人表示愿意协商，正在联系村委会参与调解。",
    "双方分歧在赔偿金额，下次调解请司法所同志参加。",
    "已上门核实现场情况，拍照留存。",
    "申请人情绪平稳，同意等待进一步调解。",
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- Timings per endpoint ----------------------------------------------------------------------------------


@dataclass
class Endpoint:
    name: str
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, status: int, latency: float, ok: bool, detail: str = "") -> None:
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if ok:
                self.latencies.append(latency)
            else:
                self.errors += 1
                if len(self.error_samples) < 3:
                    self.error_samples.append(f"{status} {detail[:300]}")

    def figures(self) -> dict:
        return {
            "count": len(self.latencies) + self.errors,
            "p50_ms": round(percentile(self.latencies, 50) * 1000, 1),
            "p95_ms": round(percentile(self.latencies, 95) * 1000, 1),
            "p99_ms": round(percentile(self.latencies, 99) * 1000, 1),
            "max_ms": round(max(self.latencies, default=0.0) * 1000, 1),
            "errors": self.errors,
            "statuses": dict(sorted(self.statuses.items())),
        }


# --- What the clients know: sessions, cases, areas, the cases submitted so far --------------------------------


@dataclass
class Staff:
    username: str
    cookie: str
    csrf: str = ""
    scopes: list[str] = field(default_factory=list)
    cases: list[str] = field(default_factory=list)  # tracking numbers the queue showed them
    own_cases: list[str] = field(default_factory=list)  # from the "mine" tab: where they write notes
    drill_codes: list[str] = field(default_factory=list)


@dataclass
class World:
    mediators: list[Staff]
    supervisors: list[Staff]
    callers: list[Staff]
    payloads: Payloads
    payload_lock: threading.Lock = field(default_factory=threading.Lock)
    submitted: deque = field(default_factory=lambda: deque(maxlen=20_000))  # (tracking number, phone)
    submitted_total: int = 0


def rows(url: str, sql: str, params: list) -> list[tuple]:
    """A parameterised query on its own short connection."""
    import psycopg2

    parsed = urlparse(url)
    conn = psycopg2.connect(
        host=parsed.hostname,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        dbname=parsed.path.lstrip("/"),
    )
    with conn, conn.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    conn.close()
    return found


def csrf_of(cookie: str) -> str:
    match = re.search(r"(?:^|; )csrftoken=([^;]+)", cookie)
    return match.group(1) if match else ""


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    found = {}
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            found[name.strip()] = rest.split(";", 1)[0]
    return found


def login(port: int, username: str, attempts: int = 3) -> str:
    """Sign in through the login form like a browser; returns the Cookie header of the session."""
    problem = ""
    for _ in range(attempts):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.request("GET", "/accounts/login/")
            response = conn.getresponse()
            html = response.read().decode(errors="replace")
            cookies = _cookies(response)
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
            if response.status != 200 or token is None or "csrftoken" not in cookies:
                problem = f"the login page answered {response.status} without a CSRF token: {html[:300]!r}"
                continue
            body = urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)})
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={cookies['csrftoken']}",
                "Referer": f"http://127.0.0.1:{port}/accounts/login/",
            }
            conn.request("POST", "/accounts/login/", body=body, headers=headers)
            response = conn.getresponse()
            html = response.read().decode(errors="replace")
            cookies.update(_cookies(response))
            if response.status == 302 and "sessionid" in cookies:
                return "; ".join(f"{k}={v}" for k, v in cookies.items())
            problem = f"signing in answered {response.status}: {html[:300]!r}"
        except (OSError, http.client.HTTPException) as exc:
            problem = repr(exc)
        finally:
            conn.close()
        time.sleep(1)
    sys.exit(f"Could not sign in as {username} ({problem}). Was seed_demo run?")


def queue_numbers(port: int, staff: Staff, scope: str, pages: int = 4) -> list[str]:
    """Tracking numbers of up to `pages` pages of 100 of one queue tab."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    path = f"/api/v1/queue/?{urlencode({'scope': scope, 'page_size': 100})}"
    found: list[str] = []
    for _ in range(pages):
        status, body = get(conn, path, staff.cookie)
        if status != 200:
            sys.exit(f"GET {path} as {staff.username} answered {status}: {body[:300]!r}")
        data = json.loads(body)
        found += [row["tracking_number"] for row in data["results"]]
        if not data["next_cursor"]:
            break
        path = f"/api/v1/queue/?{urlencode({'scope': scope, 'page_size': 100, 'cursor': data['next_cursor']})}"
    conn.close()
    return found


def first_scopes(port: int, staff: Staff) -> list[str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    status, body = get(conn, "/api/v1/queue/?page_size=1", staff.cookie)
    conn.close()
    if status != 200:
        sys.exit(f"{staff.username}'s queue answered {status}: {body[:300]!r}")
    return json.loads(body)["scopes"]


def build_world(port: int, database_url: str, payloads: Payloads) -> World:
    log("Signing in the staff and reading their queues…")
    mediators = [Staff(name, login(port, name)) for name in MEDIATORS]
    supervisors = [Staff(name, login(port, name)) for name in SUPERVISORS]
    callers = [Staff(name, login(port, name)) for name in CALLERS]
    for staff in (*mediators, *supervisors, *callers):
        staff.csrf = csrf_of(staff.cookie)
    for staff in mediators:
        staff.scopes = first_scopes(port, staff)
        staff.own_cases = queue_numbers(port, staff, "mine") if "mine" in staff.scopes else []
        staff.cases = list(staff.own_cases)
        for scope in staff.scopes:
            if scope != "mine":
                staff.cases += queue_numbers(port, staff, scope)
        log(
            f"  {staff.username}: tabs {staff.scopes}, {len(staff.cases)} cases to open, "
            f"{len(staff.own_cases)} of their own"
        )
        if not staff.cases:
            sys.exit(f"{staff.username} has no case in any queue tab: was seed_demo run?")
    # Drill-down targets: the districts and townships below each supervisor's area (paths of the area tree).
    areas = query(database_url, "SELECT code, path FROM grids_area WHERE level IN (2, 3) ORDER BY path")
    homes = dict(
        rows(
            database_url,
            "SELECT u.username, a.path FROM grids_staffprofile p JOIN auth_user u ON u.id = p.user_id "
            "JOIN grids_area a ON a.id = p.area_id WHERE u.username IN %s",
            [SUPERVISORS],
        )
    )
    for staff in supervisors:
        home = homes.get(staff.username, "")
        staff.drill_codes = [code for code, path in areas if home and path.startswith(home) and path != home]
        if not staff.drill_codes:
            sys.exit(f"No area below {staff.username}'s to drill into.")
    return World(mediators=mediators, supervisors=supervisors, callers=callers, payloads=payloads)


# --- One request of each kind ------------------------------------------------------------------------------

Request = tuple[str, str, bytes | None, dict[str, str], tuple[int, ...]]


def make_request(name: str, world: World, rnd: random.Random) -> tuple[Request, dict | None]:
    """(method, path, body, headers, ok statuses), and the submission's body for resident_submit."""
    json_headers = {"Content-Type": "application/json"}
    if name == "resident_submit":
        with world.payload_lock:
            body = world.payloads()
        data = json.dumps(body, ensure_ascii=False).encode()
        return ("POST", "/api/v1/public/cases/", data, json_headers, (201,)), body
    if name == "resident_track":
        number, phone = rnd.choice(world.submitted)
        data = json.dumps({"tracking_number": number, "phone": phone}).encode()
        return ("POST", "/api/v1/public/track/", data, json_headers, (200,)), None
    if name.startswith("mediator_"):
        staff = rnd.choice(world.mediators)
        cookie = {"Cookie": staff.cookie}
        if name == "mediator_queue_page":
            return ("GET", "/work/?page_size=25", None, cookie, (200,)), None
        if name == "mediator_queue_api":
            scope = rnd.choice(staff.scopes)
            return ("GET", f"/api/v1/queue/?scope={scope}&page_size=25", None, cookie, (200,)), None
        if name == "mediator_case_page":
            return ("GET", f"/work/case/{rnd.choice(staff.cases)}/", None, cookie, (200,)), None
        if name == "mediator_note":
            number = rnd.choice(staff.own_cases or staff.cases)
            data = json.dumps({"text": rnd.choice(NOTES)}, ensure_ascii=False).encode()
            headers = {**json_headers, **cookie, "X-CSRFToken": staff.csrf}
            return ("POST", f"/api/v1/cases/{number}/notes/", data, headers, (200, 201)), None
    if name.startswith("supervisor_"):
        staff = rnd.choice(world.supervisors)
        cookie = {"Cookie": staff.cookie}
        if name == "supervisor_dashboard":
            return ("GET", "/work/dashboard/", None, cookie, (200,)), None
        return ("GET", f"/work/dashboard/{rnd.choice(staff.drill_codes)}/", None, cookie, (200,)), None
    if name == "reference_home_anonymous":
        return ("GET", "/", None, {}, (200,)), None
    if name == "reference_home_signed_in":
        return ("GET", "/", None, {"Cookie": rnd.choice(world.mediators).cookie}, (200,)), None
    if name.startswith("callback_"):
        staff = rnd.choice(world.callers)
        path = "/work/callbacks/" if name == "callback_queue_page" else "/api/v1/callbacks/"
        return ("GET", path, None, {"Cookie": staff.cookie}, (200,)), None
    raise ValueError(name)


def run_mix(
    *, port: int, world: World, weights: dict[str, int], clients: int, seconds: float, seed: int
) -> tuple[dict[str, Endpoint], list[float], float]:
    """`clients` closed-loop threads for `seconds`; returns the endpoints, the completion times and the elapsed time."""
    endpoints = {name: Endpoint(name) for name in weights}
    names, cumulative = list(weights), []
    total = 0
    for name in names:
        total += weights[name]
        cumulative.append(total)
    completions: list[float] = []
    completions_lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(index: int) -> None:
        rnd = random.Random(seed * 1000 + index)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < deadline:
            name = rnd.choices(names, cum_weights=cumulative)[0]
            if name == "resident_track" and not world.submitted:
                name = "resident_submit"
            (method, path, body, headers, ok), submission = make_request(name, world, rnd)
            headers = {"Accept-Language": "zh-hans", **headers}
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException) as exc:
                endpoints[name].record(0, time.perf_counter() - started, ok=False, detail=repr(exc))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            latency = time.perf_counter() - started
            good = response.status in ok
            endpoints[name].record(response.status, latency, ok=good, detail=f"{path} {payload[:200]!r}")
            with completions_lock:
                completions.append(time.monotonic())
            if good and submission is not None:
                number = json.loads(payload)["tracking_number"]
                with world.payload_lock:
                    world.submitted.append((number, submission["applicant"]["phone"]))
                    world.submitted_total += 1
            if (response.getheader("Connection") or "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return endpoints, completions, time.perf_counter() - started


# --- Memory of the processes, from /proc -------------------------------------------------------------------


def _memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in kB of one process; (0, 0) when it is gone or unreadable."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
                break
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
                break
    except (OSError, ValueError):
        pass
    return rss, pss


def _group_pids(pgids: set[int]) -> dict[int, list[int]]:
    """{process group: its processes}, in one pass over /proc."""
    found: dict[int, list[int]] = {pgid: [] for pgid in pgids}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
        except OSError:
            continue
        pgid = int(raw[raw.rindex(")") + 2 :].split()[2])
        if pgid in found:
            found[pgid].append(int(stat.parent.name))
    return found


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of one process, None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def redis_pid(url: str) -> int:
    """The Redis server's process id (INFO), if it runs on this machine; 0 otherwise."""
    import redis

    try:
        pid = int(redis.Redis.from_url(url).info("server")["process_id"])
    except (redis.RedisError, KeyError, ValueError):
        return 0
    return pid if Path(f"/proc/{pid}").exists() else 0


def cpu_by_group(groups: dict[str, int], names: tuple[str, ...]) -> dict[int, tuple[str, float]]:
    """{pid: (label, CPU seconds)}: the processes of each process group under its label, others by name."""
    by_group = {pgid: label for label, pgid in groups.items()}
    found: dict[int, tuple[str, float]] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        label = by_group.get(int(fields[2])) or (comm if comm in names else None)
        if label:
            found[int(stat.parent.name)] = (label, (int(fields[11]) + int(fields[12])) / tick)
    return found


def cpu_used(before: dict, after: dict) -> dict[str, float]:
    used: dict[str, float] = {}
    for pid, (label, seconds) in after.items():
        used[label] = used.get(label, 0.0) + seconds - (before[pid][1] if pid in before else 0.0)
    return {label: round(seconds, 1) for label, seconds in used.items()}


class MemorySampler(threading.Thread):
    """Every `interval` seconds, the RSS and PSS of each process group; keeps the peaks (MB)."""

    def __init__(
        self, *, gunicorn: int, worker: int, beat: int | None, database_url: str, redis_pid: int, interval: float
    ):
        super().__init__(daemon=True)
        self.redis_pid = redis_pid
        self.groups = {"gunicorn": gunicorn, "celery_worker": worker, **({"celery_beat": beat} if beat else {})}
        self.database_url = database_url
        self.interval = interval
        self.stop_event = threading.Event()
        self.peaks: dict[str, dict[str, float]] = {}
        self.samples = 0
        # CPU of this database's backends (persistent connections, CONN_MAX_AGE): the first and the
        # last value seen for each; a backend born during the run starts from 0.
        self.backend_cpu_first: dict[int, float] = {}
        self.backend_cpu_last: dict[int, float] = {}

    @property
    def backend_cpu(self) -> float:
        return round(sum(v - self.backend_cpu_first[pid] for pid, v in self.backend_cpu_last.items()), 1)

    def _peak(self, key: str, rss_kb: int, pss_kb: int, processes: int) -> None:
        peak = self.peaks.setdefault(key, {"rss_mb": 0.0, "pss_mb": 0.0, "processes": 0})
        peak["rss_mb"] = max(peak["rss_mb"], round(rss_kb / 1024, 1))
        peak["pss_mb"] = max(peak["pss_mb"], round(pss_kb / 1024, 1))
        peak["processes"] = max(peak["processes"], processes)

    def sample(self, conn) -> None:
        members = _group_pids(set(self.groups.values()))
        for key, pgid in self.groups.items():
            pids = members[pgid]
            rest = [p for p in pids if p != pgid]
            master = _memory_kb(pgid)
            if key == "gunicorn":
                self._peak("gunicorn_master", *master, 1)
                per_worker = [_memory_kb(p) for p in rest]
                self._peak("gunicorn_workers", sum(r for r, _ in per_worker), sum(p for _, p in per_worker), len(rest))
                for rss, pss in per_worker:
                    self._peak("gunicorn_worker_largest", rss, pss, 1)
            else:
                sizes = [_memory_kb(p) for p in pids]
                self._peak(key, sum(r for r, _ in sizes), sum(p for _, p in sizes), len(pids))
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            backends = [row[0] for row in cursor.fetchall()]
        for pid in backends:
            cpu = _cpu_seconds(pid)
            if cpu is not None:
                self.backend_cpu_first.setdefault(pid, cpu if self.samples == 0 else 0.0)
                self.backend_cpu_last[pid] = cpu
        sizes = [_memory_kb(p) for p in backends]
        self._peak("postgres_backends", sum(r for r, _ in sizes), sum(p for _, p in sizes), len(backends))
        if self.redis_pid:
            self._peak("redis_server", *_memory_kb(self.redis_pid), 1)
        self.samples += 1

    def run(self) -> None:
        import psycopg2

        parsed = urlparse(self.database_url)
        conn = psycopg2.connect(
            host=parsed.hostname,
            port=parsed.port or 5432,
            user=parsed.username,
            password=parsed.password,
            dbname=parsed.path.lstrip("/"),
        )
        conn.autocommit = True
        try:
            while not self.stop_event.is_set():
                self.sample(conn)
                self.stop_event.wait(self.interval)
        finally:
            conn.close()


# --- Celery beat -------------------------------------------------------------------------------------------


def start_beat(env: dict[str, str], var_dir: str) -> tuple[subprocess.Popen, Path]:
    log_path = Path(var_dir) / "beat.log"
    cmd = [
        sys.executable,
        "-m",
        "celery",
        "--app=config",
        "beat",
        "--loglevel=info",
        f"--schedule={Path(var_dir) / 'celerybeat-schedule'}",
    ]
    with log_path.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - fixed command line
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return process, log_path


def purge_broker(env: dict[str, str]) -> None:
    """Empty the broker's celery queue only (never FLUSHDB: the Redis instance is shared)."""
    subprocess.run(  # noqa: S603 - fixed command line
        [sys.executable, "-m", "celery", "--app=config", "purge", "-f", "-Q", "celery"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=False,
    )


# --- Main --------------------------------------------------------------------------------------------------


def summary_line(name: str, figures: dict) -> str:
    return (
        f"  {name:<22}{figures['count']:>7}  p50 {figures['p50_ms']:>7} ms  p95 {figures['p95_ms']:>7} ms  "
        f"p99 {figures['p99_ms']:>7} ms  errors {figures['errors']}  statuses {figures['statuses']}"
    )


def lowest_window(completions: list[float], start: float, end: float, width: float = 10.0) -> float:
    """Requests per second in the slowest whole `width`-second window of the run."""
    windows = int((end - start) // width)
    if windows < 1:
        return 0.0
    counts = [0] * windows
    for at in completions:
        index = int((at - start) // width)
        if 0 <= index < windows:
            counts[index] += 1
    return round(min(counts) / width, 1)


def main() -> None:  # noqa: C901, PLR0912, PLR0915 - one straight script
    venv = ROOT / ".venv"
    if (venv / "bin" / "python").exists() and Path(sys.prefix).resolve() != venv.resolve():
        os.execv(str(venv / "bin" / "python"), [str(venv / "bin" / "python"), *sys.argv])  # noqa: S606
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--cases", type=int, default=1_000_000, help="Stored cases before the run (topped up).")
    parser.add_argument("--seconds", type=float, default=600, help="Measured run, after the warm-up.")
    parser.add_argument("--warmup", type=float, default=20, help="Seconds of the same mix before measuring.")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="Threads per gthread worker.")
    parser.add_argument(
        "--max-requests",
        type=int,
        default=0,
        help="Recycle each gunicorn worker after this many requests (docker/gunicorn.conf.py: 2000 ± 200; 0: never).",
    )
    parser.add_argument("--celery-concurrency", type=int, default=2)
    parser.add_argument("--no-beat", action="store_true", help="Run without celery beat (no sweeps, no refresh).")
    parser.add_argument("--redis-cache", default="redis://127.0.0.1:6379/6", help="The cache (not emptied).")
    parser.add_argument("--redis-broker", default="redis://127.0.0.1:6379/7", help="The broker (its queue purged).")
    parser.add_argument("--sample-interval", type=float, default=1.0, help="Seconds between memory samples.")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--only",
        default="",
        help="Comma-separated endpoints to run alone (profiling), e.g. mediator_case_page; "
        "also reference_home_anonymous and reference_home_signed_in (not in the mix: this machine's ceiling).",
    )
    args = parser.parse_args()

    if urlparse(args.database_url).scheme not in ("postgres", "postgresql"):
        sys.exit("The benchmark runs on PostgreSQL: set DATABASE_URL or --database-url to postgres://…/bench_….")
    if args.redis_cache == args.redis_broker:
        sys.exit("The cache and the broker must be different Redis databases.")
    weights = dict(WEIGHTS)
    if args.only:
        chosen = [name.strip() for name in args.only.split(",") if name.strip()]
        unknown = set(chosen) - set(WEIGHTS) - set(REFERENCE)
        if unknown:
            sys.exit(f"Unknown endpoints {sorted(unknown)}; choose among {sorted(WEIGHTS) + list(REFERENCE)}.")
        weights = {name: WEIGHTS.get(name, 1) for name in chosen}
        if "resident_track" in weights and "resident_submit" not in weights:
            weights["resident_submit"] = 1  # tracking needs cases submitted in the run
    ensure_database(args.database_url)
    var_dir = tempfile.mkdtemp(prefix="bench-mixed-")
    env = env_for(args.database_url, var_dir, args.redis_cache, args.redis_broker)
    env.update(MIX_ENV)

    log("Migrating…")
    manage("migrate", "--noinput", "-v", "0", env=env)
    log(f"Making sure {args.cases:,} cases are stored (seed_demo --cases {args.cases} --force)…")
    started = time.monotonic()
    output = manage("seed_demo", "--cases", str(args.cases), "--force", env=env)
    added = "nothing to add" not in output
    log(f"  ready in {time.monotonic() - started:.0f} s ({'cases added' if added else 'nothing added'})")
    rollup_rows = query(args.database_url, "SELECT count(*) FROM disputes_disputerollup")[0][0]
    if added or not rollup_rows:
        log("Rebuilding the dashboard's rollups…")
        manage("rebuild_rollups", env=env)
    query(args.database_url, "ANALYZE; SELECT 1")
    stored = query(args.database_url, "SELECT count(*) FROM disputes_dispute")[0][0]
    open_cases = rows(args.database_url, "SELECT count(*) FROM disputes_dispute WHERE status IN %s", [OPEN_STATUSES])
    open_cases = open_cases[0][0]
    categories = [row[0] for row in query(args.database_url, "SELECT code FROM disputes_category WHERE is_active")]
    grids = [row[0] for row in query(args.database_url, "SELECT code FROM grids_area WHERE level >= 4")]
    log(f"{stored:,} cases stored, {open_cases:,} of them open.")
    before_max_id = query(args.database_url, "SELECT coalesce(max(id), 0) FROM disputes_dispute")[0][0]

    purge_broker(env)
    os.environ.update(env)  # the Worker helper passes this process's environment on
    worker = Worker(pool="prefork", concurrency=args.celery_concurrency)
    port = free_port()
    gunicorn_log = Path(var_dir) / "gunicorn.log"
    gunicorn = beat = sampler = None
    beat_log = None
    try:
        worker.start()
        if not args.no_beat:
            beat, beat_log = start_beat(env, var_dir)
        gunicorn = start_gunicorn(
            env=env,
            port=port,
            workers=args.workers,
            threads=args.threads,
            worker_class="gthread",
            log=gunicorn_log,
            # --capture-output: the application's tracebacks go to the log shown on errors.
            extra=(
                "--capture-output",
                *(
                    ("--max-requests", str(args.max_requests), "--max-requests-jitter", str(args.max_requests // 10))
                    if args.max_requests
                    else ()
                ),
            ),
        )
        seed = args.seed if args.seed is not None else time.time_ns() % 1_000_000
        world = build_world(port, args.database_url, Payloads(categories=categories, grids=grids, seed=seed))

        log(f"Warm-up: {args.warmup:.0f} s of the mix with {args.clients} clients…")
        warm, _, warm_elapsed = run_mix(
            port=port, world=world, weights=weights, clients=args.clients, seconds=args.warmup, seed=seed + 1
        )
        warm_count = sum(len(e.latencies) + e.errors for e in warm.values())
        log(f"  {warm_count} requests ({warm_count / max(warm_elapsed, 1e-9):.0f}/s), {world.submitted_total} cases")

        sampler = MemorySampler(
            gunicorn=gunicorn.pid,
            worker=worker.process.pid,
            beat=beat.pid if beat else None,
            database_url=args.database_url,
            redis_pid=redis_pid(args.redis_cache),
            interval=args.sample_interval,
        )
        sampler.start()
        groups = {"gunicorn": gunicorn.pid, "celery_worker": worker.process.pid}
        if beat:
            groups["celery_beat"] = beat.pid
        watched = ("postgres", "redis-server")
        cpu_before, machine_before = cpu_by_group(groups, watched), machine_busy()
        client_before = time.process_time()
        log(f"Measuring: {args.seconds:.0f} s, {args.clients} clients, {args.workers}x{args.threads} server threads…")
        run_start = time.monotonic()
        endpoints, completions, elapsed = run_mix(
            port=port, world=world, weights=weights, clients=args.clients, seconds=args.seconds, seed=seed + 2
        )
        run_end = time.monotonic()
        cpu_after, machine_after = cpu_by_group(groups, watched), machine_busy()
        client_cpu = time.process_time() - client_before
        sampler.stop_event.set()
        sampler.join(10)

        # Let the worker finish routing what was submitted (bounded), then count.
        drain_deadline = time.monotonic() + 60
        while time.monotonic() < drain_deadline:
            waiting = rows(
                args.database_url,
                "SELECT count(*) FROM disputes_dispute WHERE id > %s AND status = 'submitted'",
                [before_max_id],
            )[0][0]
            if not waiting:
                break
            time.sleep(1)
        submitted_in_run, still_submitted = rows(
            args.database_url,
            "SELECT count(*), count(*) FILTER (WHERE status = 'submitted') FROM disputes_dispute WHERE id > %s",
            [before_max_id],
        )[0]
    finally:
        if sampler is not None:
            sampler.stop_event.set()
        if gunicorn is not None:
            stop(gunicorn)
        if beat is not None:
            stop(beat)
        worker_log = worker.log() if worker.log_path.exists() else ""
        worker.stop()
        server_log = gunicorn_log.read_text(errors="replace") if gunicorn_log.exists() else ""
        beat_text = beat_log.read_text(errors="replace") if beat_log and beat_log.exists() else ""
        purge_broker(env)
        shutil.rmtree(var_dir, ignore_errors=True)

    per_endpoint = {name: e.figures() for name, e in endpoints.items()}
    everything = [x for e in endpoints.values() for x in e.latencies]
    total = sum(f["count"] for f in per_endpoint.values())
    errors = sum(f["errors"] for f in per_endpoint.values())
    log(f"{total} requests in {elapsed:.1f} s ({total / elapsed:.1f}/s), {errors} errors:")
    for name, figures in per_endpoint.items():
        log(summary_line(name, figures))
    for e in endpoints.values():
        for sample in e.error_samples:
            log(f"    {e.name} error: {sample}")
    task_failures = sum(1 for line in worker_log.splitlines() if "ERROR/" in line or "Traceback" in line)
    beat_sent = sum(1 for line in beat_text.splitlines() if "Sending due task" in line)
    log(
        f"Worker: {submitted_in_run} cases submitted (warm-up included), {still_submitted} still unrouted "
        f"after the drain; {task_failures} error lines in its log; beat sent {beat_sent} scheduled tasks."
    )
    if errors and server_log:
        log(server_log[-3000:])
    if task_failures:
        log("\n".join(line for line in worker_log.splitlines() if "ERROR/" in line)[-3000:])
    used = cpu_used(cpu_before, cpu_after)
    used["postgres (all databases)"] = used.pop("postgres", 0.0)
    used["load generator"] = round(client_cpu, 1)
    ours = {"postgres_backends_this_database": sampler.backend_cpu if sampler else 0.0}
    busy = machine_after[0] - machine_before[0]
    # PostgreSQL backends that ended during the run (connections recycled after CONN_MAX_AGE) are
    # missing from the per-process count above, but the sampler saw them: count them as ours.
    ended_backends = max(0.0, ours["postgres_backends_this_database"] - used["postgres (all databases)"])
    others = max(0.0, busy - sum(used.values()) - ended_backends)
    log(
        f"CPU seconds while measuring: {used} ({ours}); {os.cpu_count()} CPUs, {busy / elapsed:.2f} busy on average, "
        f"{others / elapsed:.2f} of them by other programs (should be ~0 for a clean run)"
    )
    memory = sampler.peaks if sampler else {}
    log(f"Peak memory over {sampler.samples if sampler else 0} samples (MB): {memory}")
    worst_p95 = max((f["p95_ms"] for f in per_endpoint.values()), default=0.0)
    figures = {
        "scenario": "mixed_load",
        "cases": stored,
        "open_cases": open_cases,
        "seconds": round(elapsed, 1),
        "clients": args.clients,
        "server": f"{args.workers}x{args.threads} gthread",
        "max_requests": args.max_requests,
        "requests": total,
        "p50_ms": round(percentile(everything, 50) * 1000, 1),
        "p95_ms": round(percentile(everything, 95) * 1000, 1),
        "p99_ms": round(percentile(everything, 99) * 1000, 1),
        "per_s": round(len(everything) / elapsed, 1) if elapsed else 0.0,  # successful requests only
        "lowest_10s_per_s": lowest_window(completions, run_start, run_end),
        "errors": errors,
        "worst_endpoint_p95_ms": worst_p95,
        "target_met": len(everything) / max(elapsed, 1e-9) >= 300 and worst_p95 < 200 and errors == 0,
        "endpoints": per_endpoint,
        "weights": weights,
        "memory_mb": memory,
        "cpu_s": {**used, **ours},
        "cpu_ms_per_request": {
            label: round(seconds / max(len(everything), 1) * 1000, 1) for label, seconds in {**used, **ours}.items()
        },
        "machine_busy_cpus": round(busy / elapsed, 2) if elapsed else 0.0,
        "other_programs_cpus": round(others / elapsed, 2) if elapsed else 0.0,
        "cases_submitted": submitted_in_run,
        "cases_unrouted_after_drain": still_submitted,
        "worker_error_lines": task_failures,
        "beat_tasks_sent": beat_sent,
    }
    print(json.dumps(figures, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
