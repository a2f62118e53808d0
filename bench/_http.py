"""A tiny keep-alive HTTP load driver for the benchmarks (standard library only, loopback only)."""

import http.client
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    elapsed: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, status: int, latency: float, ok: bool) -> None:
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if ok:
                self.latencies.append(latency)
            else:
                self.errors += 1

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[index]


def post_json(conn: http.client.HTTPConnection, path: str, body: dict, headers: dict | None = None):
    data = json.dumps(body, ensure_ascii=False).encode()
    conn.request(
        "POST",
        path,
        body=data,
        headers={"Content-Type": "application/json", "Accept-Language": "zh-hans", **(headers or {})},
    )
    response = conn.getresponse()
    payload = response.read()
    return response.status, payload, response.getheader("Connection", "")


def drive(
    *,
    host: str,
    port: int,
    path: str,
    make_body: Callable[[], dict],
    concurrency: int,
    total: int,
    seconds: float,
    ok_statuses: tuple[int, ...] = (200, 201),
) -> Result:
    """`concurrency` threads, each on its own keep-alive connection, until `total` requests or `seconds` pass."""
    result = Result()
    counter = iter(range(total))
    counter_lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def take() -> bool:
        with counter_lock:
            return next(counter, None) is not None and time.monotonic() < deadline

    def worker() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        while take():
            body = make_body()
            started = time.perf_counter()
            try:
                status, _payload, connection = post_json(conn, path, body)
            except (OSError, http.client.HTTPException):
                result.record(0, time.perf_counter() - started, ok=False)
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
                continue
            result.record(status, time.perf_counter() - started, ok=status in ok_statuses)
            if connection.lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.elapsed = time.perf_counter() - started
    return result
