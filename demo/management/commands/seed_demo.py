"""`manage.py seed_demo [--cases N]`: the demo city, its logins and, on request, many cases.

Without --cases it writes the reference data (the area tree of 南昌市, departments,
categories, service levels, the diversion list, demo logins) and is idempotent:
a second run creates nothing and changes nothing. It runs only with DEBUG on
(or --force): the demo accounts share a published password.

--cases N tops the database up to N cases in total: a second run with the same
N adds nothing, a larger N adds the difference. Cases are generated from --seed
and the number of cases already there, batch by batch, so the same command on
the same database makes the same cases whatever the number of --workers
(tracking numbers excepted: they come from `new_tracking_number`, which must
stay unguessable). How it is fast: see demo/loader.py and demo/worker.py;
100,000 cases take well under a minute on SQLite and on PostgreSQL.
"""

import multiprocessing
import os
import pickle  # nosec B403
import sys
import time
import unicodedata
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError, transaction
from django.utils import timezone

from demo import agreements as agreements_demo
from demo import callback_parties, places, worker
from demo import conversions as conversions_demo
from demo import leaders as leaders_demo
from demo import supervision as supervision_demo
from demo.cases import (
    ASSIST_FIELDS,
    DEADLINE_FIELDS,
    DISPUTE_FIELDS,
    EVENT_FIELDS,
    PARTY_FIELDS,
    RETURN_FIELDS,
    WITHDRAWAL_FIELDS,
    Batch,
    CaseGenerator,
    Context,
    generate_batch,
    load_context,
)
from demo.loader import BulkLoader
from demo.rand import DemoRandom
from demo.reference import Login, ReferenceSeeder, handler_username
from disputes.models import CaseEvent, Deadline, Dispute, DisputeAssist, Party, RoutingReturn, WithdrawalRequest
from disputes.rules.tracking import new_tracking_number

TABLES = (
    ("dispute", Dispute, DISPUTE_FIELDS),
    ("party", Party, PARTY_FIELDS),
    ("case_event", CaseEvent, EVENT_FIELDS),
    ("deadline", Deadline, DEADLINE_FIELDS),
    ("dispute_assist", DisputeAssist, ASSIST_FIELDS),
    ("routing_return", RoutingReturn, RETURN_FIELDS),
    ("withdrawal_request", WithdrawalRequest, WITHDRAWAL_FIELDS),
)


class Command(BaseCommand):
    help = "Load the demo city (南昌市) with demo logins; with --cases N, top up to N generated cases."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--cases",
            type=int,
            default=0,
            help="Make sure there are at least this many cases (adds the difference; 0 = reference data only).",
        )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed, for reproducible cases.")
        parser.add_argument("--batch-size", type=int, default=5000, help="Cases written per transaction.")
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Processes generating cases while this one writes (default: cores - 1, at most 4; 0: none).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off. The demo accounts have a published password: never on a live system.",
        )

    def handle(
        self, *args, cases: int, seed: int, batch_size: int, workers: int | None, force: bool, **options
    ) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with a published password (and a superuser). "
                "It runs only with DEBUG=1, or with --force on a machine that is not a live system."
            )
        if cases < 0 or batch_size < 1 or (workers is not None and workers < 0):
            raise CommandError("--cases and --workers must be >= 0, --batch-size >= 1.")
        started = time.perf_counter()

        seeder = ReferenceSeeder()
        logins = seeder.seed()
        # 督办: the centres' 机关代字 and each department's head, before the cases (the generator reads the heads).
        supervision_demo.seed_offices()
        logins.append(Login("bumen_head", "department_staff", "西湖区", "西湖区人社局（科室负责人）"))
        created = ", ".join(f"{n} {table}" for table, n in sorted(seeder.created.items())) or "nothing (already there)"
        self.stdout.write(f"Reference data: created {created}.")

        if cases:
            self._cases(target=cases, seed=seed, batch_size=batch_size, workers=workers)
        if Dispute.objects.exists():
            issued = supervision_demo.seed_orders()
            if issued:
                self.stdout.write(f"Supervision orders: {issued} issued on overdue cases of 西湖区.")
            # 包案 and 协办: leaders for the open red cases, a few cases the labour bureau (bumen) assists.
            led, assisted = leaders_demo.seed_leaders(), leaders_demo.seed_assists()
            if led or assisted:
                self.stdout.write(f"Leaders in charge: {led} red cases; {assisted} cases assisted by bumen.")
            # 调解协议书 versions and 司法确认: signed agreements on reported cases, two applications to the court.
            signed = agreements_demo.seed_agreements()
            if signed:
                self.stdout.write(f"Agreements: {signed} signed, on cases of 西湖区 reported back by agreement.")
            # 回访到人: the parties' answers behind each callback verdict (满意率 counts parties).
            answered = callback_parties.seed_callback_attempts()
            if answered:
                self.stdout.write(f"Callbacks: {answered} parties' answers recorded.")
            # 民转刑 / 刑转命: a few disputes of 西湖区 that later became crimes (demo/conversions.py).
            turned = conversions_demo.seed_conversions()
            if turned:
                self.stdout.write(f"Disputes turned criminal: {turned} recorded in 西湖区.")

        self.stdout.write(f"Done in {time.perf_counter() - started:.1f} s.")
        self._print_logins(logins, handler_accounts=len(seeder.departments))

    # --- cases ---

    def _cases(self, *, target: int, seed: int, batch_size: int, workers: int | None) -> None:
        existing = Dispute.objects.count()
        to_add = max(0, target - existing)
        if not to_add:
            self.stdout.write(f"Cases: {existing:,} already, at least {target:,} asked: nothing to add.")
            return
        started = time.perf_counter()
        loader = BulkLoader()
        context = load_context()
        now = timezone.now()
        sizes = [batch_size] * (to_add // batch_size) + ([to_add % batch_size] if to_add % batch_size else [])
        if workers is None and len(sizes) <= 2:
            workers = 0  # not worth a process
        elif workers is None:
            # SQLite writes in this process, which needs a core of its own; PostgreSQL's
            # COPY leaves this process idle while the server works.
            spare = 1 if loader.vendor == "sqlite" else 0
            workers = min(4, max(1, (os.cpu_count() or 1) - spare))

        # Every batch has its own seed, derived from --seed and the cases already there:
        # the same command on the same database makes the same cases, whatever the
        # number of workers, and topping up adds different ones.
        def seed_key(batch_no: int) -> str:
            return f"{seed}:{existing}:{batch_no}"

        counts: Counter[str] = Counter()
        models = [model for _name, model, _fields in TABLES]
        with loader.session(models, rebuild_indexes=to_add >= existing):
            if workers == 0:
                generator = CaseGenerator(context, DemoRandom(seed), now=now, fmt=loader.fmt)
                for batch_no, size in enumerate(sizes):
                    ids = loader.reserve_ids(Dispute, size)
                    counts.update(self._write(loader, generate_batch(generator, seed_key(batch_no), ids)))
                    self._progress(started, sum(sizes[: batch_no + 1]), to_add, batch_size)
            else:
                self._cases_in_pool(loader, context, now, sizes, seed_key, workers, counts, started)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Cases: added {to_add:,} to {existing:,} in {elapsed:.1f} s on {loader.vendor} "
            f"({to_add / elapsed:,.0f} cases/s, {workers} generator process(es))."
        )
        for name, _model, _fields in TABLES:
            self.stdout.write(f"  {name:<15}{counts[name]:>12,} rows")
        self.stdout.write(f"  {'total':<15}{sum(counts.values()):>12,} rows")

    def _cases_in_pool(
        self,
        loader: BulkLoader,
        context: Context,
        now: datetime,
        sizes: list[int],
        seed_key: Callable[[int], str],
        workers: int,
        counts: Counter[str],
        started: float,
    ) -> None:
        """Workers generate batches while this process writes them, in order, a few batches ahead."""
        # fork is instant and the workers never touch the inherited database connection;
        # where fork is unsafe or missing, spawn (the worker module sets Django up).
        method = "fork" if sys.platform == "linux" else "spawn"
        payload = pickle.dumps((context, now, loader.fmt))
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context(method),
            initializer=worker.init,
            initargs=(payload, loader.vendor == "postgresql"),
        ) as pool:
            in_flight: deque[Future] = deque()
            pending = iter(enumerate(sizes))
            written = 0

            def submit() -> None:
                item = next(pending, None)
                if item is not None:
                    batch_no, size = item
                    ids = loader.reserve_ids(Dispute, size)
                    in_flight.append(pool.submit(worker.generate, seed_key(batch_no), ids))

            # Bounded: at most two batches per worker wait in memory.
            for _ in range(2 * workers):
                submit()
            while in_flight:
                batch = in_flight.popleft().result()
                submit()
                counts.update(self._write(loader, batch))
                written += len(batch.disputes)
                self._progress(started, written, sum(sizes), len(batch.disputes))

    def _progress(self, started: float, written: int, total: int, batch_size: int) -> None:
        if written % (batch_size * 10) == 0 and written < total:
            rate = written / (time.perf_counter() - started)
            self.stdout.write(f"  … {written:,} of {total:,} cases ({rate:,.0f} cases/s)")

    def _write(self, loader: BulkLoader, batch: Batch) -> Counter[str]:
        rows = {
            "dispute": batch.disputes,
            "party": batch.parties,
            "case_event": batch.events,
            "deadline": batch.deadlines,
            "dispute_assist": batch.assists,
            "routing_return": batch.returns,
            "withdrawal_request": batch.withdrawals,
        }
        for _attempt in range(3):
            try:
                with transaction.atomic():
                    return Counter({name: loader.insert(model, fields, rows[name]) for name, model, fields in TABLES})
            except IntegrityError:
                # A tracking number drawn twice (about 1 in 10^11 per case): the batch
                # rolled back; give every case of it a fresh number and write it again.
                tracking = DISPUTE_FIELDS.index("tracking_number")
                batch.disputes[:] = [
                    (*row[:tracking], new_tracking_number(), *row[tracking + 1 :]) for row in batch.disputes
                ]
        raise CommandError("Could not store a batch of demo cases three times in a row.")

    # --- the logins ---

    def _print_logins(self, logins: list[Login], *, handler_accounts: int) -> None:
        rows = [("username", "role", "area", "department")]
        rows += [(x.username, x.role, x.area, x.department or "-") for x in logins]
        widths = [max(_width(row[i]) for row in rows) for i in range(4)]
        rule = "-" * (sum(widths) + 6)
        self.stdout.write("")
        self.stdout.write(
            self.style.WARNING("DEMO ONLY: these logins share a published password. Never on a live system.")
        )
        self.stdout.write(rule)
        for index, row in enumerate(rows):
            self.stdout.write("  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip())
            if index == 0:
                self.stdout.write(rule)
        self.stdout.write(rule)
        self.stdout.write(f"Password for all of them: {places.DEMO_PASSWORD}")
        example = handler_username("tjwyh", "360103001")
        self.stdout.write(
            f"Plus {handler_accounts} department handler accounts, one per department, named after its tag "
            f"and area code (e.g. {example} for 南浦街道人民调解委员会), same password."
        )
        if settings.TWO_FACTOR_REQUIRED:
            # Only with --force on a DEBUG-off install: the demo logins then need an authenticator too.
            self.stdout.write(
                "Two-factor sign-in is on (TWO_FACTOR_REQUIRED): supervisors and admins set up an "
                "authenticator app at their first sign-in."
            )


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
