"""Case submission through the public API under gunicorn on PostgreSQL, with many cases already stored.

    python bench/submit.py                   # 100,000 stored cases, 2 workers, concurrency 8, 2,000 submissions
    python bench/submit.py --cases 1000000 --requests 5000 --seconds 120

What it does:

1. makes sure the database (DATABASE_URL, default bench_submit on 127.0.0.1) exists,
   is migrated and holds at least --cases cases (`seed_demo --cases N --force`
   tops it up; a second run adds nothing). The name must start with bench_.
2. starts gunicorn with 2 workers (gthread, 4 threads each, as docker/gunicorn.conf.py)
   with DEBUG=0, Redis as the cache (db 11) and as the Celery broker (db 12), and
   the public rate limits raised so that the benchmark is not throttled.
3. sends random realistic submissions (distinct applicant phones, so none is
   linked to an earlier case as a possible duplicate) from 8 client threads on
   keep-alive connections, until --requests were sent or --seconds passed,
   after a short warm-up.
4. stops gunicorn and prints the figures, the last line as one JSON object:
   {"scenario": "submit", "cases": …, "p50_ms": …, "p95_ms": …, "per_s": …, "errors": …}

Each submission does the full intake: validation, rate-limit counters in Redis,
the duplicate look-up, the case, its parties, its first event and the SMS
notification row in one transaction, then (after commit) two Celery messages
published to Redis: routing and the SMS delivery. No worker consumes them here;
the broker's database 12 is emptied before and after the run.
"""

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess  # noqa: S404 - runs our own manage.py and gunicorn with fixed arguments
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._http import drive  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/bench_submit"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国志明海燕春生"
STORIES = (
    "楼上邻居装修噪音扰民，晚上十点后仍在施工，多次沟通无果。",
    "在工地干了三个月，老板拖欠工资{n}元至今未付。",
    "借给朋友{n}元，约定半年归还，现已逾期一年拒不还款。",
    "物业公司收费不合理，电梯长期故障无人维修。",
    "邻居在公共楼道堆放杂物，影响通行和消防安全。",
    "夫妻感情不和，因子女抚养问题争执不下。",
    "承包地边界不清，与邻村村民发生争执。",
    "网购商品质量有问题，商家拒绝退货退款。",
    "外卖骑手与平台就工伤赔偿发生纠纷，金额约{n}元。",
    "楼上卫生间漏水，渗到我家天花板，协商赔偿未果。",
)
MOBILE_PREFIXES = ("130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "158", "159", "186", "188")


def env_for(database_url: str, var_dir: str, redis_cache: str, redis_broker: str) -> dict[str, str]:
    return {
        **os.environ,
        "ENV_FILE": "",
        "DATABASE_URL": database_url,
        "VAR_DIR": var_dir,
        "REDIS_URL": redis_cache,
        "CELERY_BROKER_URL": redis_broker,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        # The benchmark is one client address and many phones: lift the public limits.
        "PUBLIC_SUBMIT_PER_IP_HOUR": str(10**9),
        "PUBLIC_SUBMIT_PER_PHONE_DAY": str(10**9),
        # bench/faults.py hands cases over through one channel key.
        "CHANNEL_SUBMIT_PER_KEY_HOUR": str(10**9),
        "PYTHONUNBUFFERED": "1",
    }


def ensure_database(url: str) -> None:
    import psycopg2

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not name.startswith("bench_"):
        sys.exit(f"Refusing to use {name!r}: the benchmark writes cases; use a database named bench_….")
    admin = psycopg2.connect(
        host=parsed.hostname,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def query(url: str, sql: str) -> list[tuple]:
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
        cursor.execute(sql)
        rows = cursor.fetchall()
    conn.close()
    return rows


def manage(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode:
        sys.exit(result.stdout + result.stderr)
    return result.stdout


def flush_redis(url: str) -> None:
    import redis

    if not url.startswith("redis://"):
        return  # e.g. memory:// to measure without a broker round trip
    db = int(urlparse(url).path.lstrip("/") or 0)
    if db < 10:
        sys.exit(f"Refusing to flush Redis database {db}: the benchmark uses its own (10 and above).")
    redis.Redis.from_url(url).flushdb()


def cpu_seconds(names: tuple[str, ...], *, group: int | None = None) -> dict[str, float]:
    """CPU time (user + system) of the running processes by name, from /proc (Linux; empty elsewhere).

    With `group`, the processes of that process group count as "gunicorn" whatever their name.
    """
    totals: dict[str, float] = {}
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        pgrp, utime, stime = int(fields[2]), int(fields[11]), int(fields[12])
        name = "gunicorn" if group is not None and pgrp == group else comm
        if name in names:
            totals[name] = totals.get(name, 0.0) + (utime + stime) / tick
    return totals


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat (zeros elsewhere)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields) - idle) / tick, sum(fields) / tick


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(
    *, env: dict[str, str], port: int, workers: int, threads: int, worker_class: str, log: Path, extra: tuple = ()
):
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi",
        "-w",
        str(workers),
        "-k",
        worker_class,
        "--threads",
        str(threads),
        "--keep-alive",
        "5",
        "-b",
        f"127.0.0.1:{port}",
        "--error-logfile",
        str(log),
        "--log-level",
        "warning",
        *extra,
    ]
    process = subprocess.Popen(  # noqa: S603 - fixed command line
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 60
    url = f"http://127.0.0.1:{port}/api/v1/public/categories/"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback http
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
    stop(process)
    sys.exit(f"gunicorn did not answer within 60 s:\n{log.read_text(errors='replace')}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


class Payloads:
    """Random, realistic submissions; every applicant phone is new, so none is a suspected duplicate."""

    def __init__(self, *, categories: list[str], grids: list[str], seed: int) -> None:
        self.random = random.Random(seed)
        self.categories = categories
        self.grids = grids
        self.next_phone = self.random.randrange(10_000_000, 80_000_000)
        self.prefix = self.random.choice(MOBILE_PREFIXES)

    def name(self) -> str:
        return self.random.choice(SURNAMES) + "".join(self.random.choices(GIVEN, k=self.random.choice((1, 2))))

    def phone(self) -> str:
        self.next_phone += 1
        return f"{self.prefix}{self.next_phone:08d}"

    def __call__(self) -> dict:
        r = self.random
        story = r.choice(STORIES).format(n=r.choice((3000, 8000, 12000, 45000)))
        body = {
            "category": r.choice(self.categories),
            "description": story,
            "occurred_at": (datetime.now(UTC) - timedelta(days=r.randint(0, 30), hours=r.randint(0, 23))).isoformat(),
            "occurred_place": f"{r.choice(('船山路', '胜利路', '八一大道', '阳明路'))}{r.randint(1, 300)}号",
            "grid": r.choice(self.grids),
            "applicant": {"name": self.name(), "phone": self.phone(), "is_elderly": r.random() < 0.1},
            "other_parties": [{"role": "respondent", "name": self.name()}],
            "consent": True,
        }
        if r.random() < 0.3:
            body["other_parties"].append({"role": "third_party", "name": self.name(), "phone": self.phone()})
        return body


def main() -> None:
    venv = ROOT / ".venv"
    if (venv / "bin" / "python").exists() and Path(sys.prefix).resolve() != venv.resolve():
        # `python bench/submit.py` from outside the virtualenv: gunicorn, psycopg2 and redis live in it.
        os.execv(str(venv / "bin" / "python"), [str(venv / "bin" / "python"), *sys.argv])  # noqa: S606
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--cases", type=int, default=100_000, help="Stored cases before the run (topped up).")
    parser.add_argument("--requests", type=int, default=2_000, help="Submissions to send (measured).")
    parser.add_argument("--seconds", type=float, default=60, help="Stop measuring after this long.")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="Threads per gthread worker.")
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    parser.add_argument("--redis-cache", default="redis://127.0.0.1:6379/11")
    parser.add_argument(
        "--redis-broker",
        default="redis://127.0.0.1:6379/12",
        help="Celery broker (emptied before and after). memory:// measures without publishing to Redis.",
    )
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()

    if urlparse(args.database_url).scheme not in ("postgres", "postgresql"):
        sys.exit("The benchmark runs on PostgreSQL: set DATABASE_URL or --database-url to postgres://…/bench_….")
    ensure_database(args.database_url)
    var_dir = tempfile.mkdtemp(prefix="bench-submit-")
    env = env_for(args.database_url, var_dir, args.redis_cache, args.redis_broker)
    for url in (args.redis_cache, args.redis_broker):
        flush_redis(url)

    print("Migrating…", file=sys.stderr)
    manage("migrate", "--noinput", "-v", "0", env=env)
    print(f"Making sure {args.cases:,} cases are stored…", file=sys.stderr)
    manage("seed_demo", "--cases", str(args.cases), "--force", env=env)
    stored = query(args.database_url, "SELECT count(*) FROM disputes_dispute")[0][0]
    categories = [row[0] for row in query(args.database_url, "SELECT code FROM disputes_category WHERE is_active")]
    grids = [row[0] for row in query(args.database_url, "SELECT code FROM grids_area WHERE level >= 4")]
    if not categories or not grids:
        sys.exit("No categories or grids: seed_demo did not load the reference data.")

    port = free_port()
    log = Path(var_dir) / "gunicorn.log"
    process = start_gunicorn(
        env=env, port=port, workers=args.workers, threads=args.threads, worker_class=args.worker_class, log=log
    )
    try:
        payloads = Payloads(categories=categories, grids=grids, seed=args.seed or time.time_ns())
        common = {"host": "127.0.0.1", "port": port, "path": "/api/v1/public/cases/", "make_body": payloads}
        drive(**common, concurrency=args.concurrency, total=args.warmup, seconds=30)
        print(
            f"Submitting: {args.concurrency} clients, {args.workers} {args.worker_class} workers, "
            f"{stored:,} cases stored…",
            file=sys.stderr,
        )
        watched = ("gunicorn", "postgres", "redis-server")
        cpu_before, client_before = cpu_seconds(watched, group=process.pid), time.process_time()
        machine_before = machine_busy()
        result = drive(**common, concurrency=args.concurrency, total=args.requests, seconds=args.seconds)
        cpu_after, client_cpu = cpu_seconds(watched, group=process.pid), time.process_time() - client_before
        machine_after = machine_busy()
    finally:
        stop(process)
        flush_redis(args.redis_broker)
        gunicorn_log = log.read_text(errors="replace") if log.exists() else ""
        shutil.rmtree(var_dir, ignore_errors=True)

    done = len(result.latencies)
    figures = {
        "scenario": "submit",
        "cases": stored,
        "p50_ms": round(result.percentile(50) * 1000, 1),
        "p95_ms": round(result.percentile(95) * 1000, 1),
        "per_s": round(done / result.elapsed, 1) if result.elapsed else 0.0,
        "errors": result.errors,
    }
    print(
        f"{done} submissions in {result.elapsed:.1f} s; statuses {dict(sorted(result.statuses.items()))}; "
        f"p99 {result.percentile(99) * 1000:.1f} ms; max {max(result.latencies, default=0) * 1000:.1f} ms",
        file=sys.stderr,
    )
    if done and cpu_after:
        used = {name: cpu_after.get(name, 0.0) - cpu_before.get(name, 0.0) for name in cpu_after}
        used["load generator"] = client_cpu
        per = ", ".join(f"{name} {seconds / done * 1000:.1f}" for name, seconds in used.items())
        busy = machine_after[0] - machine_before[0]
        others = max(0.0, busy - sum(used.values()))
        print(
            f"CPU ms per submission: {per}; {os.cpu_count()} CPUs, {busy / result.elapsed:.2f} busy on average, "
            f"{others / result.elapsed:.2f} of them by other processes (should be ~0 for a clean run)",
            file=sys.stderr,
        )
    if result.errors and gunicorn_log:
        print(gunicorn_log[-3000:], file=sys.stderr)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
