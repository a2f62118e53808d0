"""What a resident's phone downloads and how soon the page answers: home, the dispute form, tracking.

    python bench/form_weight.py                 # 20 runs of each page
    python bench/form_weight.py --runs 50 --chromium /usr/bin/chromium

What it does:

1. builds a throwaway site in a temporary VAR_DIR: SQLite, `migrate`, the demo city
   and categories (`seed_demo --cases 0 --force`: the three pages do not depend on
   stored cases) and `collectstatic` into that VAR_DIR's STATIC_ROOT;
2. serves it as production does: gunicorn with docker/gunicorn.conf.py (2 gthread
   workers), DEBUG=0, static files from WhiteNoise. Not `runserver --insecure`: that
   serves static files through Django's development view, without WhiteNoise's
   headers or compressed variants, so it would measure something nobody runs.
   Plain http on 127.0.0.1 (SECURE_SSL_REDIRECT=0): TLS ends at the proxy in front;
3. loads each page --runs times in Chromium on a phone's screen (375×740), each
   time in a fresh browser context: an empty cache and no cookies, as on a first
   visit from a QR code;
4. counts the bytes received for every request of the page (Chrome's
   `encodedDataLength`: headers plus the body as sent, compressed if it was) and
   reads the Navigation Timing entry: `domInteractive`, `domContentLoadedEventEnd`
   (the deferred scripts of the form — place lists, "add another person" — have run
   and attached their handlers by then: "interactive" below) and `loadEventEnd`;
5. prints the figures, the last line one JSON object:
   {"scenario": "form_weight", "cases": 0, "p50_ms": …, "p95_ms": …, "per_s": null, "pages": {…}}
   where p50_ms/p95_ms are the form's time to interactive.

Targets (issue 9): the form under 150 KB transferred on first load, interactive in under 1 s.
The exit status is 1 when the form misses either.
"""

import argparse
import json
import os
import subprocess  # noqa: S404 - runs our own manage.py and gunicorn with fixed arguments
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import log, percentile  # noqa: E402
from bench.submit import free_port, stop  # noqa: E402

PAGES = {"home": "/", "submit": "/submit/", "track": "/track/"}
FORM_BYTES_BUDGET = 150 * 1024
FORM_INTERACTIVE_BUDGET_MS = 1000
PHONE = {"viewport": {"width": 375, "height": 740}, "device_scale_factor": 2, "is_mobile": True}


def site_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY="bench-only-" + "x" * 40,
        VAR_DIR=str(var_dir),
        DATABASE_URL=f"sqlite:///{var_dir / 'db.sqlite3'}",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        sys.exit(result.stdout + result.stderr)


def start_gunicorn(env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "gunicorn", "config.wsgi", "-c", str(ROOT / "docker" / "gunicorn.conf.py")]
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2"}
    with log_path.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - fixed command line
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:  # noqa: S310 - our own server
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
    stop(process)
    sys.exit("gunicorn did not answer within 60 s")


TIMING = """() => {
  const n = performance.getEntriesByType('navigation')[0];
  return {ttfb: n.responseStart, interactive: n.domInteractive, dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd};
}"""


def load_once(browser, url: str) -> dict:
    """One first visit: a fresh context (empty cache), the bytes on the wire and the page's timings."""
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        received: dict[str, int] = {}
        responses: dict[str, dict] = {}
        cdp.on("Network.responseReceived", lambda e: responses.__setitem__(e["requestId"], e["response"]))
        cdp.on("Network.loadingFinished", lambda e: received.__setitem__(e["requestId"], e["encodedDataLength"]))
        page.goto(url, wait_until="load")
        # loadEventEnd is set once the load handlers have returned; the last loadingFinished may trail it.
        page.wait_for_function("() => performance.getEntriesByType('navigation')[0].loadEventEnd > 0")
        page.wait_for_timeout(100)
        timing = page.evaluate(TIMING)
        files = []
        for request_id, size in received.items():
            response = responses.get(request_id, {})
            if not response.get("url", "").startswith("http"):
                continue  # data: URIs in the stylesheet: nothing crosses the network
            headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
            files.append(
                {
                    "url": response.get("url", "?").replace(url.split("/", 3)[0] + "//" + url.split("/")[2], ""),
                    "bytes": int(size),
                    "encoding": headers.get("content-encoding", "identity"),
                    "status": response.get("status"),
                }
            )
        return {"bytes": sum(f["bytes"] for f in files), "files": files, **timing}
    finally:
        context.close()


def main() -> None:
    venv = ROOT / ".venv"
    if (venv / "bin" / "python").exists() and Path(sys.prefix).resolve() != venv.resolve():
        os.execv(str(venv / "bin" / "python"), [str(venv / "bin" / "python"), *sys.argv])  # noqa: S606
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="first visits per page (default 20)")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port (default: a free one)")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="form-weight-") as tmp:
        var_dir = Path(tmp)
        env = site_env(var_dir)
        log("Building a throwaway site (migrate, demo city, collectstatic)…")
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "seed_demo", "--cases", "0", "--force")
        manage(env, "collectstatic", "--noinput", "-v", "0")
        manage(env, "compiletranslations")
        port = args.port or free_port()
        server = start_gunicorn(env, port, var_dir / "gunicorn.log")
        base = f"http://127.0.0.1:{port}"
        results: dict[str, list[dict]] = {name: [] for name in PAGES}
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=args.chromium,
                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
                )
                # One visit each to warm gunicorn's workers (imports, template caches) before measuring.
                for path in PAGES.values():
                    load_once(browser, base + path)
                for run in range(args.runs):
                    for name, path in PAGES.items():
                        results[name].append(load_once(browser, base + path))
                    if (run + 1) % 5 == 0:
                        log(f"  {run + 1}/{args.runs} runs")
                browser.close()
        finally:
            stop(server)

    pages = {}
    for name, runs in results.items():
        sample = runs[-1]
        pages[name] = {
            "bytes": max(r["bytes"] for r in runs),
            "requests": len(sample["files"]),
            "interactive_p50_ms": round(percentile([r["dcl"] for r in runs], 50), 1),
            "interactive_p95_ms": round(percentile([r["dcl"] for r in runs], 95), 1),
            "first_byte_p95_ms": round(percentile([r["ttfb"] for r in runs], 95), 1),
            "dom_interactive_p95_ms": round(percentile([r["interactive"] for r in runs], 95), 1),
            "load_p95_ms": round(percentile([r["load"] for r in runs], 95), 1),
            "encodings": sorted({f["encoding"] for f in sample["files"]}),
        }
        log(f"\n{name} ({PAGES[name]}): {pages[name]['bytes'] / 1024:.1f} KB in {pages[name]['requests']} requests")
        for f in sorted(sample["files"], key=lambda f: -f["bytes"]):
            log(f"  {f['bytes'] / 1024:7.1f} KB  {f['encoding']:8}  {f['status']}  {f['url']}")
        log(
            f"  interactive (DOMContentLoaded end) p50 {pages[name]['interactive_p50_ms']} ms, "
            f"p95 {pages[name]['interactive_p95_ms']} ms; first byte p95 {pages[name]['first_byte_p95_ms']} ms; "
            f"load p95 {pages[name]['load_p95_ms']} ms"
        )

    form = pages["submit"]
    ok = form["bytes"] < FORM_BYTES_BUDGET and form["interactive_p95_ms"] < FORM_INTERACTIVE_BUDGET_MS
    log(
        f"\nForm: {form['bytes'] / 1024:.1f} KB (budget 150 KB), interactive p95 {form['interactive_p95_ms']} ms "
        f"(budget 1000 ms): {'within' if ok else 'OVER'} budget"
    )
    summary = {
        "scenario": "form_weight",
        "cases": 0,
        "p50_ms": form["interactive_p50_ms"],
        "p95_ms": form["interactive_p95_ms"],
        "per_s": None,
        "runs": args.runs,
        "form_bytes": form["bytes"],
        "pages": {name: {k: v for k, v in page.items() if k != "encodings"} for name, page in pages.items()},
        "compressed": sorted({e for page in pages.values() for e in page["encodings"]} - {"identity"}),
    }
    print(json.dumps(summary))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
