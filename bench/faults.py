"""Faults with the real services: PostgreSQL restarted, Redis killed, a worker SIGKILLed, under submissions.

    python bench/faults.py                    # all three scenarios, 10,000 cases stored
    python bench/faults.py postgres           # or: redis, worker (any of them, in that order)
    python bench/faults.py --cases 2000 --pg-port 5439 --redis-port 6389

Loopback only, and it never touches the PostgreSQL or Redis you already run:
it starts its own, in a temporary directory, and removes them on exit (also
on Ctrl-C or an error):

- a PostgreSQL cluster (initdb; as the `postgres` user when run as root) on
  127.0.0.1:--pg-port, migrated and seeded with --cases cases (`seed_demo`);
- redis-server on 127.0.0.1:--redis-port, with the append-only file on as in
  docker-compose.yml (db 0 the cache, db 1 the Celery broker);
- gunicorn (2 gthread workers of 4 threads, as bench/submit.py) and a Celery
  worker (prefork, concurrency 2) against them. Beat is not run: where beat
  would sweep unrouted cases and pending notifications every minute, the
  script sends those sweep tasks itself every few seconds, with
  UNROUTED_AFTER_MINUTES / NOTIFICATION_RESEND_AFTER_MINUTES at 0, so that a
  scenario fits in about a minute.

The scenarios (each bounded by --seconds for the load and --catch-up for what follows):

postgres  Machine-channel clients (12345 hotline key) submit in a loop, each
          logical submission with its own Idempotency-Key, retrying with the same
          key and body after a connection failure or a 5xx, and now and then
          sending an acknowledged one again. PostgreSQL is stopped (-m fast, then
          -m immediate: a crash) and started again twice. Checked: every 2xx
          tracking number is stored; each key made at most one case (the key is
          also written into the description, so duplicates are found without
          trusting IdempotencyRecord); the cases made = the keys acknowledged; a
          resent key answers the same case; no error once PostgreSQL is back
          (while it is away the API answers 503 with Retry-After); every case
          routed and notified within --catch-up seconds.
redis     Residents submit through the public API while redis-server is killed
          (SIGKILL) and started again. Checked: no submission fails; every case
          stored during the outage is routed, and its notifications delivered,
          within --catch-up seconds of Redis being back.
worker    Cases are queued for routing, then the worker is SIGKILLed twice while
          it routes (once the whole worker, once its pool processes). Checked:
          every case is routed (none left `submitted`) and no case's timeline
          holds a step twice (submit, triage, dispatch, mediator assignment),
          nor any SMS twice.

The last line printed is one JSON object:
{"scenario": "faults", "ok": true, "postgres": {...}, "redis": {...}, "worker": {...}}
and the script exits with 1 if a check failed.
"""

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess  # noqa: S404 - runs initdb, pg_ctl, redis-server, gunicorn, celery with fixed arguments
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import emit, log, ms, percentile  # noqa: E402
from bench.submit import Payloads, env_for, start_gunicorn  # noqa: E402

SCENARIOS = ("postgres", "redis", "worker")
# How the worker's parent reports a task whose pool process died under it (one line per task).
LOST_JOB = r"exited prematurely: signal 9 \(SIGKILL\) Job: (\d+)"
DB_NAME = "bench_faults"
CHANNEL = "hotline_12345"


def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    if found:
        return found[-1].parent
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl:
        return Path(pg_ctl).parent
    sys.exit("pg_ctl not found: install the PostgreSQL server binaries.")


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


# --- The services of our own ------------------------------------------------------------------------


class Stack:
    """PostgreSQL, Redis, gunicorn and a Celery worker, all ours, in one temporary directory."""

    def __init__(self, *, pg_port: int, redis_port: int) -> None:
        for port in (pg_port, redis_port):
            if not _port_free(port):
                sys.exit(f"Port {port} is in use: pick another (--pg-port / --redis-port); nothing was started.")
        self.pg_port, self.redis_port = pg_port, redis_port
        self.base = Path(tempfile.mkdtemp(prefix="bench-faults-"))
        self.base.chmod(0o755)
        self.pg_dir = self.base / "pg"
        self.pg_dir.mkdir()
        self.as_postgres: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to the postgres user
            shutil.chown(self.pg_dir, "postgres", "postgres")
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
        self.pg = _pg_bin()
        self.redis: subprocess.Popen | None = None
        self.web: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self.worker_logs: list[Path] = []
        self.database_url = f"postgres://postgres@127.0.0.1:{pg_port}/{DB_NAME}"
        var_dir = self.base / "var"
        var_dir.mkdir()
        self.env = env_for(
            self.database_url,
            str(var_dir),
            f"redis://127.0.0.1:{redis_port}/0",
            f"redis://127.0.0.1:{redis_port}/1",
        )
        self.env.update(
            {
                "CELERY_VISIBILITY_TIMEOUT": "10",  # a killed worker's task comes back within seconds
                "UNROUTED_AFTER_MINUTES": "0",  # the script's sweeps stand in for beat (see above)
                "NOTIFICATION_RESEND_AFTER_MINUTES": "0",
                "NOTIFICATION_BACKEND": "core.notifications.LogBackend",
                "LOG_LEVEL": "WARNING",
            }
        )
        self.web_port = 0
        self.web_log = self.base / "gunicorn.log"

    # PostgreSQL

    def _pg(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603 - fixed command line
            [*self.as_postgres, *args], capture_output=True, text=True, check=check, cwd=self.base
        )

    def pg_init(self) -> None:
        data = self.pg_dir / "data"
        self._pg(str(self.pg / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        options = (
            f"-p {self.pg_port} -c listen_addresses=127.0.0.1 -k {self.pg_dir} "
            "-c max_connections=100 -c shared_buffers=128MB"
        )
        (self.pg_dir / "options").write_text(options)
        self.pg_start()

    def pg_start(self) -> float:
        """Start and wait until it accepts connections; returns the monotonic time it did."""
        self._pg(
            str(self.pg / "pg_ctl"),
            "-D",
            str(self.pg_dir / "data"),
            "-l",
            str(self.pg_dir / "server.log"),
            "-o",
            (self.pg_dir / "options").read_text(),
            "-w",
            "-t",
            "60",
            "start",
        )
        return time.monotonic()

    def pg_stop(self, mode: str) -> None:
        self._pg(str(self.pg / "pg_ctl"), "-D", str(self.pg_dir / "data"), "-m", mode, "-w", "stop", check=False)

    def sql(self, statement: str, params=None, *, dbname: str = DB_NAME) -> list[tuple]:
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=self.pg_port, user="postgres", dbname=dbname)
        conn.autocommit = True
        try:
            with conn.cursor() as cursor:
                cursor.execute(statement, params)
                return cursor.fetchall() if cursor.description else []
        finally:
            conn.close()

    # Redis

    def redis_start(self) -> float:
        cmd = [
            "redis-server",
            "--port",
            str(self.redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "yes",  # as docker-compose.yml: queued tasks survive a restart
            "--dir",
            str(self.base),
            "--maxmemory-policy",
            "noeviction",
            "--daemonize",
            "no",
        ]
        self.redis = subprocess.Popen(  # noqa: S603 - fixed command line
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if not _port_free(self.redis_port):
                return time.monotonic()
            if self.redis.poll() is not None:
                sys.exit(f"redis-server exited with {self.redis.returncode}")
            time.sleep(0.05)
        sys.exit("redis-server did not listen within 20 s")

    def redis_kill(self) -> None:
        if self.redis and self.redis.poll() is None:
            self.redis.kill()
            self.redis.wait(10)

    # gunicorn and the worker

    def web_start(self) -> None:
        from bench.submit import free_port

        self.web_port = free_port()
        self.web = start_gunicorn(
            env=self.env, port=self.web_port, workers=2, threads=4, worker_class="gthread", log=self.web_log
        )

    def worker_start(self, *, concurrency: int = 2, timeout: float = 60) -> subprocess.Popen:
        log_path = self.base / f"worker-{len(self.workers)}.log"
        cmd = [
            sys.executable,
            "-m",
            "celery",
            "--app=config",
            "worker",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            "--queues=celery",
            "--loglevel=info",
            f"--hostname=faults-{len(self.workers)}-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        with log_path.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603 - fixed command line
                cmd, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.workers.append(process)
        self.worker_logs.append(log_path)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = log_path.read_text(errors="replace")
            if process.poll() is not None:
                sys.exit(f"The worker exited with {process.returncode}:\n{text[-3000:]}")
            if " ready." in text:
                return process
            time.sleep(0.05)
        sys.exit(f"The worker was not ready within {timeout:.0f} s")

    @staticmethod
    def worker_kill(process: subprocess.Popen) -> None:
        """SIGKILL the whole worker: the main process and its pool, as when its container dies."""
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(10)

    @staticmethod
    def pool_children(process: subprocess.Popen) -> list[int]:
        try:
            text = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    def worker_stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                self.worker_kill(process)

    def worker_log_tail(self, n: int = 2500) -> str:
        return "\n".join(p.read_text(errors="replace")[-n:] for p in self.worker_logs[-2:] if p.exists())

    def send_task(self, name: str) -> None:
        """Publish a task as beat would (the scenarios call the sweeps beat runs every minute)."""
        from config.celery_app import app

        app.send_task(name)

    def close(self, *, keep: bool = False) -> None:
        for process in [self.web, *self.workers]:
            if process is None or process.poll() is not None:
                continue
            try:
                os.killpg(process.pid, signal.SIGKILL if process in self.workers else signal.SIGTERM)
                process.wait(20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.redis_kill()
        if (self.pg_dir / "data" / "postmaster.pid").exists():
            self.pg_stop("immediate")
        if keep:
            log(f"Kept {self.base} (logs of gunicorn, the workers and PostgreSQL).")
        else:
            shutil.rmtree(self.base, ignore_errors=True)


# --- HTTP with retries ------------------------------------------------------------------------------


class Client:
    """One keep-alive connection; reconnects after a failure."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)

    def post(self, path: str, body: dict, headers: dict | None = None) -> tuple[int, dict, dict]:
        """(status, json body, headers); status 0 for a connection failure."""
        data = json.dumps(body, ensure_ascii=False).encode()
        try:
            self.conn.request(
                "POST",
                path,
                body=data,
                headers={"Content-Type": "application/json", "Accept-Language": "en", **(headers or {})},
            )
            response = self.conn.getresponse()
            raw = response.read()
            answer_headers = {k.lower(): v for k, v in response.getheaders()}
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
            return 0, {}, {}
        if answer_headers.get("connection", "").lower() == "close":
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            payload = json.loads(raw or b"{}")
        except ValueError:
            payload = {}
        return response.status, payload, answer_headers


class Timeline:
    """Failed attempts with their times, shared by the client threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.failures: list[tuple[float, int]] = []  # (monotonic start of the attempt, status)
        self.latencies: list[float] = []

    def fail(self, started: float, status: int) -> None:
        with self.lock:
            self.failures.append((started, status))

    def ok(self, latency: float) -> None:
        with self.lock:
            self.latencies.append(latency)


# --- a) PostgreSQL restarted during a burst of submissions ------------------------------------------


def scenario_postgres(stack: Stack, args, payloads: Payloads) -> dict:
    from disputes.api.keys import channel_key_create

    _key, api_key = channel_key_create(name=f"faults {uuid.uuid4().hex[:6]}", channel=CHANNEL)
    from django.db import connections

    connections.close_all()  # this process's own connection would not survive the restarts
    started_at = stack.sql("SELECT now()")[0][0]
    acked: dict[str, str] = {}  # Idempotency-Key -> tracking number of the 2xx answer
    gave_up: list[str] = []
    rejected: Counter = Counter()
    replays = {"sent": 0, "same_case": 0, "other": 0}
    attempts = Counter()
    timeline = Timeline()
    lock = threading.Lock()
    stop_at = time.monotonic() + args.seconds
    give_up_at = stop_at + args.catch_up
    headers_base = {"X-Api-Key": api_key}

    def send(client: Client, key: str, body: dict) -> tuple[int, dict, dict]:
        """Until a 2xx or 4xx, retrying with the same key and body; (0, …) if it never got one."""
        delay = 0.05
        while True:
            began = time.monotonic()
            status, payload, headers = client.post(
                "/api/v1/channels/cases/", body, {**headers_base, "Idempotency-Key": key}
            )
            with lock:
                attempts[status] += 1
            if 200 <= status < 300:
                timeline.ok(time.monotonic() - began)
                return status, payload, headers
            if 400 <= status < 500:
                return status, payload, headers
            timeline.fail(began, status)
            if time.monotonic() > give_up_at:
                return 0, {}, {}
            time.sleep(delay)
            delay = min(1.0, delay * 2)

    def client_loop(seed: int) -> None:
        rng = random.Random(seed)
        client = Client(stack.web_port)
        done: list[tuple[str, dict, str]] = []
        while time.monotonic() < stop_at:
            key = uuid.uuid4().hex
            with lock:
                body = payloads()
            body.pop("consent", None)
            body["description"] += f" [ref {key}]"
            status, payload, _headers = send(client, key, body)
            if 200 <= status < 300:
                with lock:
                    acked[key] = payload["tracking_number"]
                done.append((key, body, payload["tracking_number"]))
            elif status == 0:
                with lock:
                    gave_up.append(key)
            else:
                with lock:
                    rejected[status] += 1
            if done and rng.random() < 0.1:
                # A client that never saw its answer sends the same record again.
                old_key, old_body, number = rng.choice(done)
                status, payload, headers = send(client, old_key, old_body)
                with lock:
                    replays["sent"] += 1
                    same = status == 200 and payload.get("tracking_number") == number
                    replays["same_case" if same else "other"] += 1

    threads = [threading.Thread(target=client_loop, args=(i,), daemon=True) for i in range(args.clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    restarts = []
    for mode in ("fast", "immediate"):
        time.sleep(args.seconds / 4)
        down = time.monotonic()
        stack.pg_stop(mode)
        stopped = time.monotonic()
        log(f"  PostgreSQL stopped (-m {mode}) at {stopped - t0:.1f} s")
        time.sleep(args.pg_down)
        up = stack.pg_start()
        log(f"  PostgreSQL accepting connections again at {up - t0:.1f} s")
        restarts.append(
            {"mode": mode, "down_at_s": round(down - t0, 1), "outage_s": round(up - down, 2), "down": down, "up": up}
        )
    for t in threads:
        t.join(args.seconds + args.catch_up + 30)

    numbers = list(acked.values())
    recovery = Recovery(stack, numbers, since=max(r["up"] for r in restarts), bound=args.catch_up).run()
    stored = {
        row[0]
        for row in stack.sql("SELECT tracking_number FROM disputes_dispute WHERE tracking_number = ANY(%s)", [numbers])
    }
    records = dict(
        stack.sql(
            "SELECT r.key, d.tracking_number FROM disputes_idempotencyrecord r "
            "JOIN disputes_dispute d ON d.id = r.dispute_id JOIN disputes_channelkey k ON k.id = r.channel_key_id "
            "WHERE k.name LIKE 'faults %%' AND d.submitted_at >= %s",
            [started_at],
        )
    )
    made = stack.sql(
        "SELECT substring(description from '\\[ref ([0-9a-f]{32})\\]') AS ref, count(*) FROM disputes_dispute "
        "WHERE channel = %s AND submitted_at >= %s GROUP BY ref",
        [CHANNEL, started_at],
    )
    cases_by_key = {ref: n for ref, n in made}
    duplicates = {ref: n for ref, n in cases_by_key.items() if n > 1}
    mismatched = [k for k, number in acked.items() if records.get(k) != number]
    stored_unacked = [k for k in cases_by_key if k not in acked]
    failures = timeline.failures
    # Failures that started outside every outage (two seconds of grace after it, for requests already
    # waiting): a stale connection or any other error the restart left behind.
    late = [s for t, s in failures if not any(r["down"] - 0.5 <= t <= r["up"] + 2 for r in restarts)]
    figures = {
        "logical_submissions": len(acked) + len(gave_up) + sum(rejected.values()),
        "acknowledged": len(acked),
        "attempts": sum(attempts.values()),
        "retries": len(failures),
        "statuses": {str(k): v for k, v in sorted(attempts.items())},
        "restarts": [{k: v for k, v in r.items() if k not in ("down", "up")} for r in restarts],
        "client_outage_s": round(failures[-1][0] - failures[0][0], 2) if failures else 0.0,
        "errors_after_recovery": len(late),
        "gave_up": len(gave_up),
        "rejected": dict(rejected),
        "replays": replays,
        "acked_not_stored": len(set(numbers) - stored),
        "keys_with_more_than_one_case": len(duplicates),
        "cases_made": sum(cases_by_key.values()),
        "stored_but_not_acknowledged": len(stored_unacked),
        "record_mismatch": len(mismatched),
        "p50_ms": ms(percentile(timeline.latencies, 50)),
        "p95_ms": ms(percentile(timeline.latencies, 95)),
        "unrouted_at_end": unrouted(stack, numbers),
        "pending_notifications_at_end": pending_notifications(stack, numbers),
        "all_routed_s_after_last_restart": recovery.routed_s,
        "all_notified_s_after_last_restart": recovery.notified_s,
        "cases_left_for_the_sweeper": recovery.swept_cases or 0,
    }
    figures["ok"] = (
        figures["acknowledged"] > 0
        and figures["unrouted_at_end"] == 0
        and figures["pending_notifications_at_end"] == 0
        and figures["acked_not_stored"] == 0
        and not duplicates
        and not mismatched
        and figures["cases_made"] == len(acked) + len(stored_unacked)
        and not gave_up
        and not rejected
        and replays["other"] == 0
        and not late
    )
    return figures


# --- b) Redis killed and started again while residents submit ---------------------------------------


def unrouted(stack: Stack, numbers: list[str]) -> int:
    return stack.sql(
        "SELECT count(*) FROM disputes_dispute WHERE tracking_number = ANY(%s) AND status = 'submitted'", [numbers]
    )[0][0]


def pending_notifications(stack: Stack, numbers: list[str]) -> int:
    return stack.sql(
        "SELECT count(*) FROM core_notification n JOIN disputes_dispute d ON d.id = n.dispute_id "
        "WHERE d.tracking_number = ANY(%s) AND n.state = 'pending'",
        [numbers],
    )[0][0]


class Recovery:
    """Waits for routing and notifications to catch up, standing in for beat's minute sweeps.

    A sweep is sent only when the broker's queue is empty (at most every 5 s):
    what is still queued will run anyway, and sweeping over a backlog would only
    queue the same cases again (see the note on backlogs in docs/performance.md).
    """

    def __init__(self, stack: Stack, numbers: list[str], *, since: float, bound: float) -> None:
        self.stack, self.numbers, self.since, self.deadline = stack, numbers, since, since + bound
        self.sweeps = 0
        self.swept_cases = None  # cases still unrouted when the first sweep was sent
        self.routed_s = self.notified_s = None

    def run(self, *, notifications: bool = True, first_sweep_after: float = 2) -> "Recovery":
        next_sweep = time.monotonic() + first_sweep_after
        while time.monotonic() < self.deadline:
            left = unrouted(self.stack, self.numbers)
            pending = pending_notifications(self.stack, self.numbers) if notifications else 0
            now = time.monotonic()
            if not left and self.routed_s is None:
                self.routed_s = round(now - self.since, 1)
            if not left and not pending and self.notified_s is None:
                self.notified_s = round(now - self.since, 1)
            if self.routed_s is not None and self.notified_s is not None:
                break
            if now >= next_sweep and queue_length(self.stack) == 0:
                if self.swept_cases is None:
                    self.swept_cases = left
                self.stack.send_task("disputes.tasks.sweep_unrouted")
                if notifications:
                    self.stack.send_task("core.tasks.sweep_pending_notifications")
                self.sweeps += 1
                next_sweep = now + 5
            time.sleep(0.25)
        return self


def queue_length(stack: Stack) -> int:
    import redis

    return redis.Redis.from_url(stack.env["CELERY_BROKER_URL"]).llen("celery")


def public_burst(
    stack: Stack, payloads: Payloads, *, clients: int, seconds: float, count: int | None = None, rate: float = 0
):
    """Residents submitting through the public API: (threads, tracking numbers, statuses, timeline).

    With `rate`, the clients together send at most that many submissions a second.
    """
    numbers: list[str] = []
    statuses: Counter = Counter()
    timeline = Timeline()
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def loop() -> None:
        client = Client(stack.web_port)
        interval = clients / rate if rate else 0.0
        next_at = time.monotonic()
        while time.monotonic() < stop_at:
            if interval:
                time.sleep(max(0.0, next_at - time.monotonic()))
                next_at += interval
            with lock:
                if count is not None and sum(statuses.values()) >= count:
                    return
                statuses["sending"] += 1
                body = payloads()
            began = time.monotonic()
            status, payload, _headers = client.post("/api/v1/public/cases/", body)
            with lock:
                statuses["sending"] -= 1
                statuses[status] += 1
                if status == 201:
                    numbers.append(payload["tracking_number"])
            if status == 201:
                timeline.ok(time.monotonic() - began)
            else:
                timeline.fail(began, status)

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(clients)]
    return threads, numbers, statuses, timeline


def scenario_redis(stack: Stack, args, payloads: Payloads) -> dict:
    threads, numbers, statuses, timeline = public_burst(
        stack, payloads, clients=args.clients, seconds=args.seconds, rate=args.rate
    )
    t0 = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(args.seconds / 3)
    killed = time.monotonic()
    stack.redis_kill()
    log(f"  redis-server killed at {killed - t0:.1f} s")
    in_outage_before = len(numbers)
    time.sleep(args.redis_down)
    back = stack.redis_start()
    log(f"  redis-server listening again at {back - t0:.1f} s")
    during_outage = len(numbers) - in_outage_before
    for t in threads:
        t.join(args.seconds + 30)
    statuses.pop("sending", None)

    # Catch-up: the worker reconnects by itself; the sweeps stand in for beat.
    recovery = Recovery(stack, numbers, since=back, bound=args.catch_up).run()
    left, pending = unrouted(stack, numbers), pending_notifications(stack, numbers)
    errors = sum(v for k, v in statuses.items() if k != 201)
    figures = {
        "submissions": sum(statuses.values()),
        "stored": len(numbers),
        "stored_during_outage": during_outage,
        "errors": errors,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "outage_s": round(back - killed, 2),
        "p50_ms": ms(percentile(timeline.latencies, 50)),
        "p95_ms": ms(percentile(timeline.latencies, 95)),
        "max_ms": ms(max(timeline.latencies, default=0)),
        "cases_left_for_the_sweeper": recovery.swept_cases or 0,
        "unrouted_at_end": left,
        "pending_notifications_at_end": pending,
        "all_routed_s_after_redis_back": recovery.routed_s,
        "all_notified_s_after_redis_back": recovery.notified_s,
        "catch_up_bound_s": args.catch_up,
    }
    figures["ok"] = errors == 0 and during_outage > 0 and left == 0 and pending == 0
    return figures


# --- c) A worker SIGKILLed while routing ------------------------------------------------------------


def scenario_worker(stack: Stack, args, payloads: Payloads) -> dict:
    # Start from an empty queue, so that the worker routes these cases and not what earlier scenarios left.
    deadline = time.monotonic() + args.catch_up
    while queue_length(stack) and time.monotonic() < deadline:
        time.sleep(0.5)
    for process in stack.workers:
        stack.worker_stop(process)
    threads, numbers, statuses, _timeline = public_burst(
        stack, payloads, clients=args.clients, seconds=args.seconds, count=args.queued
    )
    for t in threads:
        t.start()
    for t in threads:
        t.join(args.seconds + 30)
    statuses.pop("sending", None)
    total = len(numbers)
    log(f"  {total} cases stored and queued for routing; starting the worker")

    def routed() -> int:
        return total - unrouted(stack, numbers)

    def wait_routed(at_least: int, bound: float) -> None:
        deadline = time.monotonic() + bound
        while routed() < at_least and time.monotonic() < deadline:
            time.sleep(0.05)

    kills = []
    first_log = len(stack.worker_logs)
    first = stack.worker_start()
    wait_routed(total // 5, 30)
    kills.append({"what": "whole worker", "routed_before": routed()})
    stack.worker_kill(first)
    import redis

    # Taken by the dead worker and not acknowledged (acks_late): Redis hands them out again after the
    # visibility timeout. The routing transactions they had open were rolled back with their connections.
    kills[-1]["unacknowledged"] = redis.Redis.from_url(stack.env["CELERY_BROKER_URL"]).hlen("unacked")
    log(f"  worker SIGKILLed with {kills[-1]['routed_before']}/{total} routed")
    second = stack.worker_start()
    wait_routed(total // 2, 30)
    # Both pool processes (as the kernel's OOM killer might): with a backlog, one of them is mid-task.
    children = stack.pool_children(second)
    routed_before = routed()
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    if children:
        kills.append({"what": "the pool processes", "routed_before": routed_before})
        log(f"  pool processes {children} SIGKILLed with {routed_before}/{total} routed")

    t_restart = time.monotonic()
    # Redelivery first: a killed worker's unacknowledged tasks come back after the visibility timeout
    # (10 s here); only then the sweep that beat would run, for a message lost in the kill (kombu#305).
    recovery = Recovery(stack, numbers, since=t_restart, bound=args.catch_up).run(first_sweep_after=15)
    time.sleep(2)  # let redelivered duplicates of finished tasks run, so that they would show up below

    repeated = stack.sql(
        "SELECT e.dispute_id, e.kind, e.action, count(*) FROM disputes_caseevent e "
        "JOIN disputes_dispute d ON d.id = e.dispute_id WHERE d.tracking_number = ANY(%s) "
        "AND (e.kind = 'transition' OR e.kind IN ('triage', 'assigned')) "
        "GROUP BY e.dispute_id, e.kind, e.action HAVING count(*) > 1",
        [numbers],
    )
    triaged = stack.sql(
        "SELECT count(DISTINCT e.dispute_id) FROM disputes_caseevent e JOIN disputes_dispute d ON d.id = e.dispute_id "
        "WHERE d.tracking_number = ANY(%s) AND e.kind = 'transition' AND e.action = 'triage'",
        [numbers],
    )[0][0]
    sms_twice = stack.sql(
        "SELECT count(*) FROM (SELECT n.dispute_id, n.kind, n.recipient_phone, n.recipient_user_id "
        "FROM core_notification n JOIN disputes_dispute d ON d.id = n.dispute_id WHERE d.tracking_number = ANY(%s) "
        "GROUP BY 1, 2, 3, 4 HAVING count(*) > 1) AS twice",
        [numbers],
    )[0][0]
    by_status = dict(
        stack.sql(
            "SELECT status, count(*) FROM disputes_dispute WHERE tracking_number = ANY(%s) GROUP BY status", [numbers]
        )
    )
    log_text = "\n".join(p.read_text(errors="replace") for p in stack.worker_logs[first_log:] if p.exists())
    figures = {
        "cases": total,
        "submit_errors": sum(v for k, v in statuses.items() if k != 201),
        "kills": kills,
        # Tasks in flight when killed: the whole worker's come back from Redis's unacked set
        # (visibility timeout), a pool process's are requeued by its parent (reject on worker lost).
        "requeued_after_pool_kill": len(set(re.findall(LOST_JOB, log_text))),
        "routing_runs": len(re.findall(r"route_dispute\[[^\]]+\] succeeded", log_text)),
        "cases_left_for_the_sweeper": recovery.swept_cases or 0,
        "unrouted_at_end": total - routed(),
        "pending_notifications_at_end": pending_notifications(stack, numbers),
        "all_routed_s_after_last_kill": recovery.routed_s,
        "cases_triaged": triaged,
        "steps_repeated": len(repeated),
        "notifications_repeated": sms_twice,
        "statuses": by_status,
    }
    figures["ok"] = (
        total > 0
        and figures["unrouted_at_end"] == 0
        and figures["pending_notifications_at_end"] == 0
        and triaged == total
        and not repeated
        and sms_twice == 0
    )
    if repeated:
        log(f"  repeated steps (case, kind, action, times): {repeated[:10]}")
    return figures


# --- Main ---------------------------------------------------------------------------------------------


def main() -> None:
    venv = ROOT / ".venv"
    if (venv / "bin" / "python").exists() and Path(sys.prefix).resolve() != venv.resolve():
        os.execv(str(venv / "bin" / "python"), [str(venv / "bin" / "python"), *sys.argv])  # noqa: S606
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenarios", nargs="*", metavar="scenario", help="postgres, redis, worker (default: all).")
    parser.add_argument("--cases", type=int, default=10_000, help="Cases stored before the scenarios.")
    parser.add_argument("--pg-port", type=int, default=5439)
    parser.add_argument("--redis-port", type=int, default=6389)
    parser.add_argument("--clients", type=int, default=6, help="Client threads submitting at once.")
    parser.add_argument("--seconds", type=float, default=40, help="How long each scenario submits.")
    parser.add_argument("--catch-up", type=float, default=90, help="Bound on recovery after a fault.")
    parser.add_argument("--pg-down", type=float, default=3, help="Seconds PostgreSQL stays stopped.")
    parser.add_argument("--redis-down", type=float, default=8, help="Seconds Redis stays down.")
    parser.add_argument(
        "--rate",
        type=float,
        default=5,
        help="Submissions per second in the redis scenario: about what one worker routes here, so that the "
        "catch-up measures the outage and not a backlog the load itself made.",
    )
    parser.add_argument("--keep", action="store_true", help="Keep the temporary directory (logs) on exit.")
    parser.add_argument("--queued", type=int, default=200, help="Cases queued for the worker scenario.")
    args = parser.parse_args()
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(sorted(unknown))}; choose from {', '.join(SCENARIOS)}")
    chosen = [s for s in SCENARIOS if s in (args.scenarios or SCENARIOS)]

    stack = Stack(pg_port=args.pg_port, redis_port=args.redis_port)

    def terminate(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    figures: dict = {"scenario": "faults", "cases": args.cases}
    try:
        log(
            f"Starting PostgreSQL on 127.0.0.1:{args.pg_port} and Redis on 127.0.0.1:{args.redis_port} in {stack.base}…"
        )
        stack.pg_init()
        stack.sql(f'CREATE DATABASE "{DB_NAME}"', dbname="postgres")
        stack.redis_start()
        os.environ.clear()
        os.environ.update(stack.env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
        os.chdir(ROOT)
        from bench.submit import manage

        log("Migrating…")
        manage("migrate", "--noinput", "-v", "0", env=stack.env)
        log(f"Seeding {args.cases:,} cases…")
        manage("seed_demo", "--cases", str(args.cases), "--force", env=stack.env)
        import django

        django.setup()
        categories = [r[0] for r in stack.sql("SELECT code FROM disputes_category WHERE is_active")]
        grids = [r[0] for r in stack.sql("SELECT code FROM grids_area WHERE level >= 4")]
        payloads = Payloads(categories=categories, grids=grids, seed=time.time_ns())
        stack.web_start()
        stack.worker_start()
        figures["cases"] = stack.sql("SELECT count(*) FROM disputes_dispute")[0][0]
        for name in chosen:
            log(f"Scenario {name}…")
            started = time.monotonic()
            result = {"postgres": scenario_postgres, "redis": scenario_redis, "worker": scenario_worker}[name](
                stack, args, payloads
            )
            result["seconds"] = round(time.monotonic() - started, 1)
            figures[name] = result
            log(f"  {json.dumps(result, ensure_ascii=False, default=str)}")
            if not stack.workers or stack.workers[-1].poll() is not None:
                stack.worker_start()
        server_errors = stack.web_log.read_text(errors="replace").count("Traceback") if stack.web_log.exists() else 0
        figures["gunicorn_tracebacks"] = server_errors
        if server_errors:
            log(stack.web_log.read_text(errors="replace")[-4000:])
    finally:
        stack.close(keep=args.keep)
    figures["ok"] = all(figures[name]["ok"] for name in chosen)
    emit(figures)
    sys.exit(0 if figures["ok"] else 1)


if __name__ == "__main__":
    main()
