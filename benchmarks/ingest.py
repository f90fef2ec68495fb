"""Webhook ingest benchmark: signed generic deliveries against a no-op request.

Run from the repository root::

    .venv/bin/python benchmarks/ingest.py [--seconds N] [--rounds N] [--concurrency N]

It builds a throw-away instance (SQLite, migrated, demo data), serves it with gunicorn
(2 sync workers) and drives it from a separate load process (one thread, a small
selectors-based HTTP/1.1 client). Each round runs a closed-loop no-op run (``GET /healthz``),
a closed-loop ingest run (``POST /webhooks/bench``, one call per delivery) and an
open-loop ingest run at a fixed rate; the summary shows the medians over the rounds.
At the end the database is checked: calls = the demo's calls + the 202 answers.

Exit status: 0 when the run completed (targets missed or not), 1 when the database
check failed, 2 when the run itself broke (setup failed, the server did not start or
died, no ingest request succeeded).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import hashlib
import hmac
import http.client
import json
import math
import multiprocessing
import os
import secrets
import selectors
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
SOURCE = "bench"
RATIO_TARGET = 0.40
P99_TARGET_MS = 100.0
REQUEST_TIMEOUT = 30.0
#: Ingest deliveries signed in advance per second of a closed-loop run.
PRESIGN_PER_S = 5000

# --------------------------------------------------------------------------------------
# Load side: runs in its own process (see load()); nothing here imports the hub.
# --------------------------------------------------------------------------------------


@dataclass
class RunResult:
    kind: str  # "noop" | "ingest"
    mode: str  # "closed" | "open"
    wall: float = 0.0  # seconds from the first send to the last answer
    ok: int = 0  # answers with the expected status (200 no-op, 202 ingest)
    processed: int = 0  # ingest 202 answers whose body says "accepted"
    errors: Counter = field(default_factory=Counter)  # unexpected status / failure → count
    latencies: list[float] = field(default_factory=list)  # seconds, one per answered request
    send_lag: list[float] = field(default_factory=list)  # open loop: actual − scheduled send
    load_cpu: float = 0.0  # CPU seconds the load process spent on this run
    server_cpu: float = 0.0  # CPU seconds gunicorn (master + workers) spent meanwhile
    machine_cpu: float = 0.0  # CPU seconds the whole machine was busy meanwhile
    backlog: int | None = None  # events the worker had still to apply when the run ended

    @property
    def other_cpu(self) -> float:
        """CPU seconds of everything else (other processes, kernel work not charged to us)."""
        return max(self.machine_cpu - self.server_cpu - self.load_cpu, 0.0)

    @property
    def requests(self) -> int:
        return self.ok + sum(self.errors.values())


class _Exchange:
    """One request in flight on one non-blocking socket."""

    __slots__ = ("sock", "out", "data", "buf", "t0", "reused", "deadline")

    def __init__(self, sock: socket.socket, data: bytes, t0: float, reused: bool) -> None:
        self.sock, self.data, self.t0, self.reused = sock, data, t0, reused
        self.out = memoryview(data)
        self.buf = bytearray()
        self.deadline = time.perf_counter() + REQUEST_TIMEOUT


def _parse(buf: bytearray, eof: bool) -> tuple[int, bytes, bool] | None:
    """(status, body, close) once ``buf`` holds a whole response, else None."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = bytes(buf[:end]).split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, close = None, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection":
            close = value.strip().lower() == b"close"
    if length is None:  # no length: the body runs to the end of the connection
        return (status, bytes(buf[end + 4 :]), True) if eof else None
    if len(buf) - end - 4 < length:
        return None
    return status, bytes(buf[end + 4 : end + 4 + length]), close


class _Client:
    """A minimal HTTP/1.1 client on ``selectors``: many requests in flight, one thread.

    Much cheaper per request than asyncio streams or http.client (which matters: the
    load shares two cores with the server). Connections are kept alive when the server
    allows it; gunicorn's sync workers close each one, so each request connects anew.
    """

    def __init__(self, addr: tuple[str, int], kind: str, res: RunResult) -> None:
        self.addr, self.kind, self.res = addr, kind, res
        self.sel = selectors.DefaultSelector()
        self.idle: list[socket.socket] = []
        self.inflight: set[_Exchange] = set()
        self.last = time.perf_counter()  # when the last request ended (answered or failed)

    def send(self, data: bytes, t0: float, fresh: bool = False) -> None:
        """Start a request; its latency counts from ``t0`` (a perf_counter value)."""
        reused = bool(self.idle) and not fresh
        if reused:
            sock = self.idle.pop()
        else:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            err = sock.connect_ex(self.addr)
            if err not in (0, errno.EINPROGRESS):
                sock.close()
                self.res.errors[f"connect: {errno.errorcode.get(err, err)}"] += 1
                return
        ex = _Exchange(sock, data, t0, reused)
        self.inflight.add(ex)
        self.sel.register(sock, selectors.EVENT_WRITE, ex)

    def poll(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds and move every ready request along."""
        for key, _ in self.sel.select(timeout):
            ex: _Exchange = key.data
            try:
                if ex.out:
                    ex.out = ex.out[ex.sock.send(ex.out) :]
                    if not ex.out:
                        self.sel.modify(ex.sock, selectors.EVENT_READ, ex)
                    continue
                chunk = ex.sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError as exc:
                self._fail(ex, type(exc).__name__)
                continue
            ex.buf += chunk
            answer = _parse(ex.buf, eof=not chunk)
            if answer is not None:
                self._done(ex, *answer)
            elif not chunk:
                self._fail(ex, "connection closed early")

    def expire(self) -> None:
        now = time.perf_counter()
        for ex in [ex for ex in self.inflight if ex.deadline < now]:
            self._fail(ex, "timeout")

    def _drop(self, ex: _Exchange, keep: bool) -> None:
        self.last = time.perf_counter()
        self.inflight.discard(ex)
        self.sel.unregister(ex.sock)
        if keep:
            self.idle.append(ex.sock)
        else:
            ex.sock.close()

    def _fail(self, ex: _Exchange, why: str) -> None:
        self._drop(ex, keep=False)
        if ex.reused and not ex.buf:  # a kept-alive connection went stale: once more
            self.send(ex.data, ex.t0, fresh=True)
        else:
            self.res.errors[why] += 1

    def _done(self, ex: _Exchange, status: int, body: bytes, close: bool) -> None:
        self._drop(ex, keep=not close)
        res = self.res
        if status == (200 if self.kind == "noop" else 202):
            res.ok += 1
            res.latencies.append(self.last - ex.t0)
            if self.kind == "ingest":
                with contextlib.suppress(ValueError):
                    res.processed += json.loads(body).get("status") == "accepted"
        else:
            res.errors[f"HTTP {status}"] += 1

    def close(self) -> None:
        for sock in self.idle:
            sock.close()
        self.sel.close()


class _Requests:
    """Pre-encoded requests: the constant no-op and freshly signed ingest deliveries."""

    def __init__(
        self, host: str, port: int, secret: str, tag: str, flavour: str = "generic"
    ) -> None:
        self.host = f"{host}:{port}".encode()
        self.secret = secret.encode()
        self.tag = tag
        self.n = 0
        self.noop = b"GET /healthz HTTP/1.1\r\nHost: " + self.host + b"\r\n\r\n"
        self.ingest = self._jira if flavour == "jira" else self._generic
        self.base = int(secrets.token_hex(3), 16) * 10_000  # Jira issue numbers, per run

    def _jira(self) -> bytes:
        """A Jira ``jira:issue_created`` in the client's service-desk project (INTEGRATIONS
        §2.1), signed as Jira signs (``X-Hub-Signature``), with Jira's delivery id."""
        self.n += 1
        key = f"SD-{self.base + self.n}"
        body = json.dumps(
            {
                "timestamp": int(time.time() * 1000),
                "webhookEvent": "jira:issue_created",
                "issue_event_type_name": "issue_created",
                "user": {"name": "carla", "displayName": "Carla Client"},
                "issue": {
                    "id": str(self.base + self.n),
                    "key": key,
                    "self": f"https://jira.example.org/rest/api/2/issue/{key}",
                    "fields": {
                        "summary": f"Benchmark issue {key}",
                        "description": "The contact form does not send.",
                        "issuetype": {"id": "1", "name": "Bug"},
                        "project": {"id": "1", "key": "SD", "name": "Service desk"},
                        "priority": {"id": "3", "name": "Medium"},
                        "status": {"id": "1", "name": "Open",
                                   "statusCategory": {"id": 2, "key": "new", "name": "To Do"}},
                        "labels": [],
                        "created": "2026-12-01T09:55:00.000+0100",
                        "updated": "2026-12-01T09:55:00.000+0100",
                    },
                },
            },
            separators=(",", ":"),
        ).encode()  # fmt: skip
        sig = hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        return (
            b"POST /webhooks/jira HTTP/1.1\r\nHost: " + self.host
            + b"\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\nX-Hub-Signature: sha256=" + sig.encode()
            + b"\r\nX-Atlassian-Webhook-Identifier: " + f"{self.tag}-{self.n}".encode()
            + b"\r\n\r\n" + body
        )  # fmt: skip

    def _generic(self) -> bytes:
        self.n += 1
        ref = f"{self.tag}-{self.n}"
        body = json.dumps(
            {
                "type": "call.create",
                "client": "amarant",
                "title": f"Benchmark call {ref}",
                "priority": "P3",
                "category": "incident",
                "ref": ref,
            },
            separators=(",", ":"),
        ).encode()
        sig = hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        return (
            b"POST /webhooks/" + SOURCE.encode() + b" HTTP/1.1\r\nHost: " + self.host
            + b"\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\nX-Hub-Signature-256: sha256=" + sig.encode()
            + b"\r\nX-Delivery-Id: " + ref.encode()
            + b"\r\n\r\n" + body
        )  # fmt: skip


def _closed(
    client: _Client,
    make: Callable[[], bytes],
    seconds: float,
    concurrency: int,
    count: int | None = None,
) -> float:
    """``concurrency`` requests in flight; each answer starts the next, for ``seconds`` or
    until ``count`` requests were sent (a burst), whichever comes first. Returns wall time."""
    start = time.perf_counter()
    deadline = start + seconds
    now = tick = start
    left = math.inf if count is None else count
    while (now < deadline and left) or client.inflight:
        for _ in range(min(concurrency - len(client.inflight), left) if now < deadline else 0):
            client.send(make(), time.perf_counter())
            left -= 1
        client.poll(0.5)
        now = time.perf_counter()
        if now - tick > 0.5:
            client.expire()
            tick = now
    return max(client.last - start, 1e-9)


def _open(client: _Client, make: Callable[[], bytes], rate: float, seconds: float) -> float:
    """Sends scheduled at a fixed rate; latency counts from the scheduled send time.

    Returns wall time; the lateness of each actual send goes to ``send_lag``.
    """
    start = time.perf_counter() + 0.05
    total, sent, tick = int(rate * seconds), 0, start
    while sent < total or client.inflight:
        now = time.perf_counter()
        while sent < total and start + sent / rate <= now:
            scheduled = start + sent / rate
            client.res.send_lag.append(time.perf_counter() - scheduled)
            client.send(make(), scheduled)
            sent += 1
        wait = start + sent / rate - time.perf_counter() if sent < total else 0.5
        client.poll(max(wait, 0.0))
        if now - tick > 0.5:
            client.expire()
            tick = now
    return max(client.last - start, 1e-9)


def load(
    host: str, port: int, secret: str, tag: str, kind: str, mode: str, seconds: float, **kw
) -> RunResult:
    """One run, executed in the load process. ``kw``: concurrency (closed) or rate (open);
    ``flavour``: generic or jira deliveries; ``count``: a closed run's burst size."""
    reqs = _Requests(host, port, secret, tag, kw.get("flavour", "generic"))
    if kind == "noop":
        make = lambda: reqs.noop  # noqa: E731
    else:
        # Signed before the clock starts, as the no-op request is built once: the load
        # process shares the cores with the server, so it must spend as little as it can.
        # A run that outgrows the stock signs the rest as it goes.
        count = int(kw["rate"] * seconds) if mode == "open" else int(PRESIGN_PER_S * seconds)
        count = min(count, kw.get("count") or count)
        stock = iter([reqs.ingest() for _ in range(count)])
        make = lambda: next(stock, None) or reqs.ingest()  # noqa: E731
    res = RunResult(kind, mode)
    client = _Client((host, port), kind, res)
    cpu = time.process_time()
    if mode == "closed":
        res.wall = _closed(client, make, seconds, kw["concurrency"], kw.get("count"))
    else:
        res.wall = _open(client, make, kw["rate"], seconds)
    res.load_cpu = time.process_time() - cpu
    client.close()
    return res


def _load_process(conn: Connection) -> None:
    """The load process: runs the jobs it receives until it receives None."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the orchestrator's business
    conn.send("ready")
    while (job := conn.recv()) is not None:
        args, kw = job
        try:
            conn.send(load(*args, **kw))
        except Exception:  # noqa: BLE001 - reported by the orchestrator, which stops
            conn.send(traceback.format_exc())
    conn.close()


class LoadProcess:
    """A separate process (spawned, so it shares nothing with us) that runs the load."""

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_load_process, args=(child,), daemon=True)
        self.proc.start()
        child.close()
        self.busy = True
        self._recv()  # "ready": it is up before anything is timed
        self.busy = False

    def run(self, *args: object, **kw: object) -> RunResult:
        self.busy = True
        self.conn.send((args, kw))
        answer = self._recv()
        self.busy = False
        if isinstance(answer, str):
            raise RunBroken(f"the load process failed:\n{answer}")
        return answer

    def _recv(self) -> RunResult | str:
        try:
            return self.conn.recv()
        except EOFError:
            raise RunBroken(f"the load process died ({self.proc.exitcode})") from None

    def close(self) -> None:
        if not self.busy:  # idle: ask it to stop; in the middle of a run (Ctrl-C): stop it
            with contextlib.suppress(OSError):
                self.conn.send(None)
            self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join()


# --------------------------------------------------------------------------------------
# Orchestration: instance, gunicorn, runs, report, database check, clean-up.
# --------------------------------------------------------------------------------------


class RunBroken(Exception):
    """The benchmark could not run (as opposed to a target being missed)."""


def _pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (``values`` in seconds → milliseconds); nan when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` and its direct children (gunicorn master + workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # fields from 3 (state) on
        if int(entry) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _machine_cpu_seconds() -> float:
    """Busy CPU seconds of the whole machine since boot (all but idle and iowait)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class Bench:
    def __init__(self, args: argparse.Namespace, env: dict[str, str] | None = None) -> None:
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="slahub-bench-"))
        self.db_path = self.tmp / "hub.sqlite3"
        self.secret = "bench-" + secrets.token_hex(16)
        self.port = _free_port()
        self.server: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.log = self.tmp / "gunicorn.log"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        self.env.update(
            HUB_INSTANCE_PATH=str(self.tmp),
            HUB_DATABASE_URL=f"sqlite:///{self.db_path}",
            HUB_SECRET_KEY=secrets.token_hex(16),
            HUB_ENABLED_PLUGINS=args.plugins,
            **{f"HUB_WEBHOOK_SECRET_{SOURCE.upper()}": self.secret},
        )
        self.env.update(env or {})
        self.demo_calls = 0  # calls in the database before the first run (the demo's 3)
        self.runs = 0
        self.accepted = 0  # 202 answers to ingest deliveries, all runs (warm-up included)
        self.processed = 0
        self.errors: Counter = Counter()

    # -- set-up and tear-down -----------------------------------------------------------

    def prepare(self) -> None:
        for cmd in (["db", "upgrade"], ["demo"]):
            done = subprocess.run(
                [str(BIN / "slahub"), *cmd], cwd=ROOT, env=self.env, capture_output=True, text=True
            )
            if done.returncode != 0:
                raise RunBroken(f"slahub {' '.join(cmd)} failed:\n{done.stdout}{done.stderr}")
        self.demo_calls = self._count_calls()
        if self.demo_calls == 0:
            raise RunBroken("slahub demo loaded no calls")

    def _count_calls(self) -> int:
        with contextlib.closing(sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)) as db:
            return db.execute("SELECT count(*) FROM calls").fetchone()[0]

    def start_server(self) -> None:
        cmd = [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{self.port}", "wsgi:app"]
        with open(self.log, "wb") as log:
            self.server = subprocess.Popen(
                cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches us; we stop gunicorn ourselves
            )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise RunBroken(f"gunicorn exited with {self.server.returncode}:\n{self._log()}")
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
            try:
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            finally:
                conn.close()
            time.sleep(0.1)
        raise RunBroken(f"gunicorn did not answer /healthz within 30 s:\n{self._log()}")

    def start_worker(self) -> None:
        """The hub's worker beside the server, as in production: it applies the events."""
        with open(self.tmp / "worker.log", "wb") as log:
            self.worker = subprocess.Popen(
                [str(BIN / "slahub"), "worker"], cwd=ROOT, env=self.env, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    @staticmethod
    def _stop(proc: subprocess.Popen | None) -> None:
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)  # graceful: in-flight work finishes
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop_server(self) -> None:
        self._stop(self.server)

    def wait_applied(self, timeout: float = 300) -> tuple[int, float]:
        """Wait until the worker has applied every stored event; (left over, seconds)."""
        t0 = time.monotonic()
        left = self._received()
        while left and self.worker is not None and time.monotonic() - t0 < timeout:
            if self.worker.poll() is not None:
                log = (self.tmp / "worker.log").read_text(errors="replace")[-3000:]
                raise RunBroken(f"the worker exited with {self.worker.returncode}:\n{log}")
            time.sleep(0.2)
            left = self._received()
        return left, time.monotonic() - t0

    def settle(self) -> None:
        """Let the worker apply what earlier runs left, so that each run starts alike."""
        backlog = self._received()
        if self.worker is None or not backlog:
            return
        left, waited = self.wait_applied()
        if left:
            raise RunBroken(f"the worker left {left} events unapplied for {waited:.0f} s")
        print(f"{'':22} worker applied a backlog of {backlog} in {waited:.1f} s "
              f"({backlog / waited:.0f}/s) before the next run")  # fmt: skip

    def _received(self) -> int:
        with contextlib.closing(sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)) as db:
            sql = "SELECT count(*) FROM inbound_events WHERE status = 'received'"
            return db.execute(sql).fetchone()[0]

    def cleanup(self) -> None:
        try:
            self.stop_server()
            self._stop(self.worker)
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _log(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])
        except OSError:
            return "(no gunicorn log)"

    # -- runs ---------------------------------------------------------------------------

    def run(
        self, loader: LoadProcess, kind: str, mode: str, seconds: float, **extra: object
    ) -> RunResult:
        self.runs += 1
        kw = {"rate": self.args.rate} if mode == "open" else {"concurrency": self.args.concurrency}
        kw.update(extra)
        tag = f"{secrets.token_hex(3)}-r{self.runs}"
        server_cpu, machine_cpu = _cpu_seconds(self.server.pid), _machine_cpu_seconds()
        res = loader.run("127.0.0.1", self.port, self.secret, tag, kind, mode, seconds, **kw)
        res.server_cpu = _cpu_seconds(self.server.pid) - server_cpu
        res.machine_cpu = _machine_cpu_seconds() - machine_cpu
        if self.server.poll() is not None:
            raise RunBroken(f"gunicorn died during a run:\n{self._log()}")
        if self.worker is not None:
            if self.worker.poll() is not None:
                log = (self.tmp / "worker.log").read_text(errors="replace")[-3000:]
                raise RunBroken(f"the worker exited with {self.worker.returncode}:\n{log}")
            res.backlog = self._received()
        if kind == "ingest":
            self.accepted += res.ok
            self.processed += res.processed
        self.errors.update({f"{kind}/{k}": v for k, v in res.errors.items()})
        return res

    # -- the database check -------------------------------------------------------------

    def check_database(self) -> bool:
        with contextlib.closing(sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)) as db:
            calls = db.execute("SELECT count(*) FROM calls").fetchone()[0]
            bench_calls = db.execute(
                "SELECT count(*) FROM calls WHERE source = ?", (SOURCE,)
            ).fetchone()[0]
            events = dict(
                db.execute(
                    "SELECT status, count(*) FROM inbound_events WHERE source = ? GROUP BY status",
                    (SOURCE,),
                ).fetchall()
            )
        expected = self.demo_calls + self.accepted
        ok = calls == expected
        rows = [
            ("202 answers to ingest (warm-up included)", self.accepted),
            ("  of which body status 'accepted'", self.processed),
            ("calls in the database", f"{calls} (source {SOURCE!r}: {bench_calls})"),
            (f"expected: {self.demo_calls} demo + {self.accepted}", expected),
            ("result", "OK" if ok else "MISMATCH"),
            ("inbound events by status", events),
        ]
        print("\nDatabase check (after gunicorn stopped and the worker applied every event)")
        for label, value in rows:
            print(f"  {label:<42}: {value}")
        return ok


def _line(label: str, res: RunResult) -> str:
    rate = res.ok / res.wall if res.wall > 0 else 0.0
    per = "req/s" if res.kind == "noop" else "ev/s"
    n = max(res.requests, 1)
    text = (
        f"{label:<22} {rate:8.1f} {per:<7}  p50 {_pct(res.latencies, 50):7.1f} ms"
        f"  p99 {_pct(res.latencies, 99):7.1f} ms  n={res.ok:<6} errors={sum(res.errors.values())}"
        f"  | load cpu {res.load_cpu / res.wall:4.0%} ({res.load_cpu / n * 1e6:4.0f} µs/req)"
        f"  server cpu {res.server_cpu / res.wall:4.2f} cores"
        f" ({res.server_cpu / n * 1e3:5.2f} ms/req)  others {res.other_cpu / res.wall:4.2f} cores"
    )
    if res.mode == "open":
        text += f"  send lag p99 {_pct(res.send_lag, 99):5.1f} ms"
    if res.kind == "ingest" and res.backlog is not None:
        text += f"  worker backlog {res.backlog}"
    if res.errors:
        text += f"\n{'':22} errors: {dict(res.errors)}"
    return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=10, help="length of each closed-loop run")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of no-op / ingest / open loop")
    ap.add_argument("--concurrency", type=int, default=4, help="connections in closed loop")
    ap.add_argument("--rate", type=float, default=100, help="open-loop requests per second")
    ap.add_argument("--open-seconds", type=float, default=10, help="length of the open-loop run")
    ap.add_argument("--warmup", type=float, default=2, help="seconds of warm-up per kind")
    ap.add_argument("--plugins", default="[]", help="HUB_ENABLED_PLUGINS for the server")
    ap.add_argument("--no-worker", action="store_true", help="do not run a hub worker beside")
    args = ap.parse_args(argv)

    bench = Bench(args)
    loader = None
    try:
        loader = LoadProcess()
        bench.prepare()
        bench.start_server()
        if not args.no_worker:
            bench.start_worker()
        print(
            f"SLA Hub ingest benchmark: gunicorn 2 sync workers on 127.0.0.1:{bench.port}, "
            f"SQLite in {bench.tmp}, {os.cpu_count()} CPUs; load: 1 process, selectors, "
            f"{args.concurrency} connections closed loop; {args.seconds:g} s per run, "
            f"{args.rounds} rounds"
        )
        for kind in ("noop", "ingest"):
            print(_line(f"warm-up {kind}", bench.run(loader, kind, "closed", args.warmup)))
        noop, ingest, opened = [], [], []
        for r in range(1, args.rounds + 1):
            bench.settle()
            noop.append(bench.run(loader, "noop", "closed", args.seconds))
            print(_line(f"round {r} no-op", noop[-1]))
            ingest.append(bench.run(loader, "ingest", "closed", args.seconds))
            print(_line(f"round {r} ingest", ingest[-1]))
            bench.settle()
            opened.append(bench.run(loader, "ingest", "open", args.open_seconds))
            print(_line(f"round {r} ingest @{args.rate:g}/s", opened[-1]))
        if bench.accepted == 0:
            raise RunBroken(f"no ingest delivery was accepted: {dict(bench.errors)}")
        _summary(args, noop, ingest, opened, bench)
        bench.stop_server()
        backlog = bench._received()
        left, waited = bench.wait_applied()
        print(
            f"\nworker: {backlog} of {bench.accepted} events still to apply when the load "
            f"stopped; applied in {waited:.1f} s ({backlog / waited if waited else 0:.0f}/s); "
            f"{left} left"
        )
        bench._stop(bench.worker)
        return 0 if bench.check_database() and left == 0 else 1
    except RunBroken as exc:
        print(f"benchmark broken: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        try:
            if loader is not None:
                loader.close()
        finally:
            bench.cleanup()


def _summary(
    args: argparse.Namespace,
    noop: list[RunResult],
    ingest: list[RunResult],
    opened: list[RunResult],
    bench: Bench,
) -> None:
    med = statistics.median
    noop_rate = med(r.ok / r.wall for r in noop)
    ingest_rate = med(r.ok / r.wall for r in ingest)
    # Each round's no-op and ingest runs follow each other, so their ratio is taken per
    # round (a slow patch of the machine then affects both sides) and the median of
    # those is the figure; the ratio of the two medians and the range are shown beside.
    ratios = [
        (i.ok / i.wall) / (n.ok / n.wall) if n.ok else math.nan
        for n, i in zip(noop, ingest, strict=True)
    ]
    ratio = med(ratios)
    open_p50 = med(_pct(r.latencies, 50) for r in opened)
    open_p99 = med(_pct(r.latencies, 99) for r in opened)
    pooled = [x for r in opened for x in r.latencies]
    others = med(r.other_cpu / r.wall for r in (*noop, *ingest, *opened))

    def row(label: str, value: str) -> None:
        print(f"  {label:<28}: {value}")

    print(f"\nSummary (median of {len(noop)} rounds)")
    row("no-op req/s", f"{noop_rate:8.1f}")
    row("ingest deliveries/s", f"{ingest_rate:8.1f}")
    met = "met" if ratio >= RATIO_TARGET else "MISSED"
    row("ratio ingest/no-op", f"{ratio:8.3f}   target >= {RATIO_TARGET:.2f}: {met}")
    row(
        "  per round",
        " ".join(f"{r:.3f}" for r in ratios)
        + f"   (ratio of the medians above: {ingest_rate / noop_rate:.3f})",
    )
    for name, runs in (("no-op", noop), ("ingest", ingest)):
        p50 = med(_pct(r.latencies, 50) for r in runs)
        p99 = med(_pct(r.latencies, 99) for r in runs)
        row(f"{name} closed p50 / p99", f"{p50:8.1f} / {p99:.1f} ms")
    met = "met" if open_p99 < P99_TARGET_MS else "MISSED"
    row(
        f"ingest @{args.rate:g}/s p50 / p99",
        f"{open_p50:8.1f} / {open_p99:.1f} ms   target p99 < {P99_TARGET_MS:g} ms: {met}",
    )
    row(
        "  all rounds pooled",
        f"{_pct(pooled, 50):8.1f} / {_pct(pooled, 99):.1f} ms, max {_pct(pooled, 100):.1f} ms",
    )
    row(
        "load generator CPU",
        f"{med(r.load_cpu / max(r.requests, 1) * 1e6 for r in noop):8.0f} µs per no-op request "
        f"({med(r.load_cpu / r.wall for r in noop):.0%} of a core during no-op runs), "
        f"{med(r.load_cpu / max(r.requests, 1) * 1e6 for r in ingest):.0f} µs per ingest request",
    )
    row(
        "server CPU per request",
        f"{med(r.server_cpu / max(r.requests, 1) * 1e3 for r in noop):8.2f} ms no-op, "
        f"{med(r.server_cpu / max(r.requests, 1) * 1e3 for r in ingest):.2f} ms ingest",
    )
    noisy = "   WARNING: the machine was busy with other work; figures are noisy"
    row("other CPU on the machine", f"{others:8.2f} cores{noisy if others > 0.25 else ''}")
    row("non-expected answers", str(dict(bench.errors) or "none"))


if __name__ == "__main__":
    sys.exit(main())
