"""Gunicorn settings for the container (docker-compose.yml's web service)."""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")  # noqa: S104 (inside the container network)
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
# Threads let a worker keep answering while another request waits on the database. Two, not
# more: the work is CPU-bound, and with PostgreSQL on the same two cores the mixed load test
# (bench/mixed_load.py) spent 12.6 ms of web-worker CPU per request with 2 x 2 threads against
# 13.8 with 2 x 4 (100 against 88 requests/s), the extra threads only contending for the
# interpreter lock.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycling workers bounds the damage of a slow leak in any dependency.
max_requests = 2000
max_requests_jitter = 200
# The heartbeat file on a tmpfs: an overlay filesystem can stall it and get healthy workers killed.
worker_tmp_dir = "/dev/shm"  # noqa: S108 (a tmpfs, as the comment says)  # nosec B108
accesslog = "-"
# URLs in the access log lose their search terms, phones and keys (`/staff/queue/?q=张伟`).
logger_class = "core.access_log.AccessLogger"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# TLS ends at the reverse proxy in front; trust its X-Forwarded-* headers. gunicorn reads only the
# scheme from them (X-Forwarded-Proto) and never rewrites REMOTE_ADDR: the client address the rate
# limits and the sign-in lockout count is decided by the portal's TRUSTED_PROXIES setting
# (core.ratelimit.client_ip), which believes X-Forwarded-For only from the proxies it lists.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
