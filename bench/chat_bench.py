"""Chat delivery bench: 100 pairs of python-socketio clients on two web processes joined by Redis.

    python bench/chat_bench.py seed [--pairs 100]            # users, coaching pairs, tokens (bench env)
    python bench/chat_bench.py run spotter URL_A URL_B       # Spotter: send_message / message / mark_read
    python bench/chat_bench.py run relay URL_A URL_B         # the bare relay (shared/bench/sio/sio_server.py)

Pair i has one end on server A and the other on server B, so every message crosses the Redis queue. Each
of the 200 clients sends its peer one message per second (starts staggered over the second) for DUR
seconds; the peer acknowledges each message it receives (Spotter: `mark_read`, answered by
`messages_read`; relay: a receipt `say` back to the pair's room). Clients are python-socketio's asyncio
clients, all of a worker process in its one event loop (threaded clients, three threads each, took a
quarter of the machine); PROCS worker processes, with both ends of a pair in the same process so one
monotonic clock times each message.

Prints, per run: messages sent and delivered, delivered msgs/s, and p50/p99/max of
  delivery  (send -> the peer's `message` / `said`),
  ack       (send -> the server's ack to the sender),
  receipt   (send -> the sender gets the peer's read receipt).
and the CPU seconds used while the clients were sending by the servers (SERVER_PIDS and their children),
PostgreSQL, Redis and the whole machine, with how many PostgreSQL sessions were opened meanwhile.
The clients first send the same load for WARMUP_S seconds, not counted (a new process and its PostgreSQL
backends are slow at first: the first seconds' p99 was ~0.8 s). Every wait is bounded; the run stops by
itself. Deliveries slower than SLOW_MS (50 ms) are listed by the 100 ms window they were sent in, with how
many went each way and through how many client processes: a stall shows as one crowded window, load as
many thin ones. The clients' garbage collector is off while they send (CLIENT_GC=1 keeps it on): its pauses
were the load generator's, not the servers'.
The disk is probed meanwhile (an `fdatasync` every 20 ms, DISK_PROBE=0 to skip): an ack waits for PostgreSQL's
WAL flush, a delivery does not, so a disk stall shows in the ack and receipt tails and not in delivery's.
Env: DUR (20), WARMUP_S (3), PROCS (2), PAIRS (100), DRAIN_S (5), CLIENT_GC (0), DISK_PROBE (1).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TOKENS = ROOT / "bench" / "out" / "chat_tokens.json"
PASSWORD = "bench-password-1"
SLOW_MS = 50  # deliveries slower than this are reported by when they were sent
HISTORY = 100  # read messages each pair has before a run


# ---- seed (runs in the app, bench env)


def seed(pairs: int) -> None:
    """Create `pairs` trainer/client pairs with active coaching, clear their messages, write access tokens."""
    sys.path.insert(0, str(ROOT))
    import sqlalchemy as sa

    from app import create_app
    from app.accounts import services as accounts
    from app.accounts.models import CoachingRelationship, CoachingStatus, Role
    from app.chat.models import Message
    from app.extensions import db

    app = create_app()
    with app.app_context():
        out = []
        for i in range(pairs):
            trainer = _user(accounts, f"chatbench_t{i}", Role.TRAINER)
            client = _user(accounts, f"chatbench_c{i}", Role.USER)
            if not accounts.is_active_client(trainer.id, client.id):
                db.session.add(
                    CoachingRelationship(
                        trainer_id=trainer.id,
                        client_id=client.id,
                        requested_by_id=client.id,
                        status=CoachingStatus.ACTIVE,
                    )
                )
            out.append(
                {
                    "a": {"id": trainer.id, "token": accounts.issue_tokens(trainer)["access_token"]},
                    "b": {"id": client.id, "token": accounts.issue_tokens(client)["access_token"]},
                }
            )
        ids = [end["id"] for pair in out for end in (pair["a"], pair["b"])]
        ours = Message.sender_id.in_(ids)
        db.session.execute(sa.delete(Message).where(ours, Message.client_msg_id.is_not(None)))  # the last run's
        # Every pair has a read history, as conversations in use do: an empty table would have the planner
        # choose sequential scans for the prepared statements, which grow slower as the run fills it.
        if db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(ours)) < pairs * HISTORY:
            db.session.execute(sa.delete(Message).where(ours))
            db.session.execute(sa.insert(Message), list(_history(out)))
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # Each run leaves ~12,000 dead message rows (its inserts, receipts, and the delete above). Where
            # autovacuum is off (this machine's PostgreSQL) they piled up run after run: 216,000 after a day's
            # runs, every statement walking bloated indexes. Vacuumed and analyzed here, each run starts as
            # production's autovacuum would keep it; the checkpoint puts the run at the start of a checkpoint
            # cycle, so the figures do not depend on whether a spread checkpoint happens to be writing meanwhile.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(sa.text("VACUUM (ANALYZE) messages, users"))
                connection.execute(sa.text("CHECKPOINT"))
    TOKENS.parent.mkdir(parents=True, exist_ok=True)
    TOKENS.write_text(json.dumps(out))
    print(f"seeded {pairs} pairs -> {TOKENS}")


def _history(pairs: list[dict]):
    """HISTORY read messages per pair, both ways, a day old (no client_msg_id: the runs' messages have one)."""
    from datetime import UTC, datetime, timedelta

    day_ago = datetime.now(UTC) - timedelta(days=1)
    for pair in pairs:
        for n in range(HISTORY):
            sender, receiver = (pair["a"], pair["b"]) if n % 2 else (pair["b"], pair["a"])
            at = day_ago + timedelta(seconds=n)
            yield {
                "sender_id": sender["id"],
                "receiver_id": receiver["id"],
                "content": f"history {n}",
                "created_at": at,
                "read_at": at,
                "notified_at": None,
            }


def _user(accounts, username: str, role):
    email = f"{username}@bench.spotter.local"
    return accounts.find_user_by_email(email) or accounts.create_user(email, username, PASSWORD, role)


# ---- one worker process: its share of the pairs, all in one asyncio event loop


class Pair:
    """Two connected clients and the clocks of the messages between them."""

    def __init__(self, mode: str, index: int, ends: dict, stats: Stats):
        import socketio

        self.mode, self.index, self.stats = mode, index, stats
        self.room = f"pair-{index}"
        self.ids = {"a": ends["a"]["id"], "b": ends["b"]["id"]}
        self.tokens = {"a": ends["a"]["token"], "b": ends["b"]["token"]}
        self.clients = {side: socketio.AsyncClient(reconnection=False) for side in ("a", "b")}
        for side, client in self.clients.items():
            self._handlers(side, client)

    async def connect(self, url_a: str, url_b: str) -> None:
        """Connect end a to one server and end b to the other (alternating by pair), so messages cross Redis."""
        urls = {"a": url_a, "b": url_b} if self.index % 2 == 0 else {"a": url_b, "b": url_a}
        for side, client in self.clients.items():
            if self.mode == "spotter":
                await client.connect(
                    urls[side], auth={"token": self.tokens[side]}, transports=["websocket"], wait_timeout=20
                )
            else:
                await client.connect(urls[side], transports=["websocket"], wait_timeout=20)
                await client.call("join", {"room": self.room}, timeout=20)

    def _handlers(self, side: str, client) -> None:
        peer = "b" if side == "a" else "a"
        if self.mode == "spotter":

            async def on_message(message):
                if message["sender_id"] == self.ids[side]:
                    return  # the echo to the sender's own room
                self.stats.delivered(message["client_msg_id"], message["id"])
                await _quietly(client.emit("mark_read", {"with": self.ids[peer], "up_to": message["id"]}))

            def on_read(receipt):
                if receipt["by"] == self.ids[peer]:
                    self.stats.receipt_upto(side, self.index, receipt["up_to"])

            client.on("message", on_message)
            client.on("messages_read", on_read)
        else:

            async def on_said(data):
                if "receipt" in data:
                    self.stats.receipt(data["receipt"])
                    return
                self.stats.delivered(data["key"])
                await _quietly(client.emit("say", {"room": self.room, "receipt": data["key"]}))

            client.on("said", on_said)
            client.on("joined", lambda data: None)

    def send(self, side: str, seq: int) -> Coroutine[Any, Any, None]:
        """Count a message as sent now (by the stats of this moment) and return the emit to schedule."""
        key = f"{self.index}{side}-{seq}"
        client, stats = self.clients[side], self.stats
        stats.sent(key, side, self.index)
        if self.mode == "spotter":
            payload = {
                "receiver_id": self.ids["b" if side == "a" else "a"],
                "content": f"bench {seq}",
                "client_msg_id": key,
            }
            return client.emit("send_message", payload, callback=lambda ack: stats.acked(key, ack))
        return client.emit("say", {"room": self.room, "key": key}, callback=lambda *ack: stats.acked(key, True))

    async def close(self) -> None:
        for client in self.clients.values():
            await _quietly(client.disconnect())


async def _quietly(call) -> None:
    """Await a client call that may fail because the run is closing its connections (best effort)."""
    with contextlib.suppress(Exception):
        await call


class Stats:
    """Send times by key, and the latencies measured against them (milliseconds); one event loop, no locks."""

    def __init__(self):
        self.sent_at: dict[str, float] = {}
        self.ids: dict[str, int] = {}  # Spotter: message id -> key, for read receipts "up to" an id
        self.pending_receipts: dict[tuple[str, int], list[str]] = {}
        self.delivery: list[float] = []
        self.ack: list[float] = []
        self.receipt_ms: list[float] = []
        self.errors: dict[str, int] = {}
        self.slow: list[tuple[float, float, str, int]] = []  # (sent at, ms, sender's side, client process)
        self.n_sent = 0

    def sent(self, key: str, side: str, index: int) -> None:
        self.sent_at[key] = time.perf_counter()
        self.n_sent += 1
        self.pending_receipts.setdefault((side, index), []).append(key)

    def delivered(self, key: str, message_id: int | None = None) -> None:
        if key in self.sent_at:
            ms = (time.perf_counter() - self.sent_at[key]) * 1000
            self.delivery.append(ms)
            if ms > SLOW_MS:  # when it was sent (wall clock, comparable across the worker processes), and from where
                self.slow.append((time.time() - ms / 1000, ms, key.split("-")[0][-1], os.getpid()))
            if message_id is not None:  # known here before any receipt of it (the ack may come later)
                self.ids[key] = message_id

    def acked(self, key: str, ack) -> None:
        now = time.perf_counter()
        if key not in self.sent_at:
            return  # sent during the warm-up
        if ack is True or (isinstance(ack, dict) and ack.get("ok")):
            self.ack.append((now - self.sent_at[key]) * 1000)
            if isinstance(ack, dict):
                self.ids[key] = ack["message"]["id"]
        else:
            code = str(ack.get("error", {}).get("code")) if isinstance(ack, dict) else "?"
            self.errors[code] = self.errors.get(code, 0) + 1

    def receipt(self, key: str) -> None:
        if key in self.sent_at:
            self.receipt_ms.append((time.perf_counter() - self.sent_at[key]) * 1000)

    def receipt_upto(self, side: str, index: int, up_to: int) -> None:
        """A Spotter read receipt covers every message of that sender up to an id."""
        now = time.perf_counter()
        waiting = self.pending_receipts.get((side, index), [])
        done = [key for key in waiting if self.ids.get(key, 1 << 62) <= up_to]
        for key in done:
            self.receipt_ms.append((now - self.sent_at[key]) * 1000)
            waiting.remove(key)

    def complete(self) -> bool:
        return len(self.delivery) >= self.n_sent and len(self.receipt_ms) >= self.n_sent


def worker(mode: str, url_a: str, url_b: str, first: int, last: int, start_at: float, duration: int) -> None:
    """Connect pairs [first, last), send for `duration` seconds from `start_at` (wall clock), print stats."""
    print(json.dumps(asyncio.run(_worker(mode, url_a, url_b, first, last, start_at, duration))))


async def _worker(mode: str, url_a: str, url_b: str, first: int, last: int, start_at: float, duration: int) -> dict:
    ends = json.loads(TOKENS.read_text())[first:last] if mode == "spotter" else [{}] * (last - first)
    fake = {"a": {"id": 1, "token": ""}, "b": {"id": 2, "token": ""}}
    warmup = warmup_seconds()
    stats = Stats()  # the warm-up's figures, not reported
    pairs = [Pair(mode, first + i, e or fake, stats) for i, e in enumerate(ends)]
    for pair in pairs:  # one at a time, as the threaded harness did: no burst of handshakes
        await pair.connect(url_a, url_b)
    await asyncio.sleep(max(0.0, start_at - time.time()))
    if os.environ.get("CLIENT_GC", "0") != "1":
        # The load generator's own collections paused every pair of a worker at once (both workers allocate
        # alike, so at about the same moments): 100-300 ms stalls, in both directions, that were no server's.
        # A run is short; its memory grows a little.
        gc.collect()
        gc.freeze()
        gc.disable()
    t0 = time.perf_counter()
    slots = [(pair, side) for pair in pairs for side in ("a", "b")]
    # Each client sends once a second; the clients' sends are spread evenly over the second. A send is its own
    # task, so a slow write never delays the next client's turn. The first `warmup` seconds are the same load,
    # not counted: new processes and PostgreSQL backends are slow at first (caches, plans).
    schedule = sorted(
        (second + n / len(slots), pair, side, second)
        for second in range(warmup + duration)
        for n, (pair, side) in enumerate(slots)
    )
    sending, t_measured = set(), t0
    for offset, pair, side, second in schedule:
        if second >= warmup and t_measured == t0:  # the measured seconds begin: count from here
            stats, t_measured = Stats(), t0 + warmup
            for each in pairs:
                each.stats = stats
        delay = t0 + offset - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(pair.send(side, second))
        sending.add(task)
        task.add_done_callback(sending.discard)
    t_sent = time.perf_counter()
    drain = float(os.environ.get("DRAIN_S", "5"))
    while time.perf_counter() - t_sent < drain and not stats.complete():
        await asyncio.sleep(0.05)
    for pair in pairs:
        await pair.close()
    return {
        "sent": stats.n_sent,
        "delivery": stats.delivery,
        "ack": stats.ack,
        "receipt": stats.receipt_ms,
        "errors": stats.errors,
        "slow": stats.slow,
        "elapsed": t_sent - t_measured,
    }


def warmup_seconds() -> int:
    """Seconds of the same load sent before the measured DUR seconds (env WARMUP_S, default 3)."""
    return int(os.environ.get("WARMUP_S", "3"))


# ---- CPU accounting (Linux /proc)


class CpuMeter:
    """CPU seconds used by the server processes, PostgreSQL, Redis and the machine between two samples."""

    HZ = os.sysconf("SC_CLK_TCK")

    def __init__(self, server_pids: list[int]):
        self.server_pids = server_pids
        self.pg = _pg_connection()
        self.samples: list[dict[str, float]] = []
        self.processes: list[dict[int, tuple[str, int, int]]] = []

    def sample(self) -> None:
        stats = _process_stats()
        self.processes.append(stats)
        servers = _descendants(self.server_pids, stats)
        with open("/proc/stat") as f:
            cpu = [int(v) for v in f.readline().split()[1:]]
        self.samples.append(
            {
                "time": time.time(),
                "servers": sum(stats[pid][1] for pid in servers) / self.HZ,
                "postgres": sum(t for comm, t, _ in stats.values() if comm == "postgres") / self.HZ,
                "redis": sum(t for comm, t, _ in stats.values() if comm == "redis-server") / self.HZ,
                "machine": sum(cpu[i] for i in (0, 1, 2, 5, 6, 7)) / self.HZ,
                "sessions": _pg_sessions(self.pg),
            }
        )

    def report(self, messages: int) -> str:
        first, last = self.samples[0], self.samples[-1]
        used = {key: last[key] - first[key] for key in first}
        rest = used["machine"] - used["servers"] - used["postgres"] - used["redis"]
        before, after = self.processes[0], self.processes[-1]
        busiest = sorted(
            ((ticks - before.get(pid, (comm, 0, 0))[1]) / self.HZ, comm, pid) for pid, (comm, ticks, _) in after.items()
        )[-6:]
        return (
            f"    cpu       while sending: servers {used['servers']:.1f} s ({used['servers'] * 1000 / messages:.2f} ms"
            f" per message), postgres {used['postgres']:.1f} s, redis {used['redis']:.1f} s, clients and the rest"
            f" {rest:.1f} s; machine {used['machine']:.1f} of {used['time'] * os.cpu_count():.1f} core-s;"
            f" {used['sessions']:.0f} PostgreSQL sessions opened\n    busiest   "
            + ", ".join(f"{comm}[{pid}] {seconds:.1f} s" for seconds, comm, pid in reversed(busiest))
        )


def _process_stats() -> dict[int, tuple[str, int, int]]:
    """pid -> (command, user + system clock ticks, parent pid) of every process."""
    stats = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                raw = f.read()
        except OSError:
            continue  # exited meanwhile
        comm, fields = raw[raw.index("(") + 1 : raw.rindex(")")], raw[raw.rindex(")") + 2 :].split()
        stats[int(entry)] = (comm, int(fields[11]) + int(fields[12]), int(fields[1]))
    return stats


def _descendants(roots: list[int], stats: dict[int, tuple[str, int, int]]) -> set[int]:
    found, frontier = set(), set(roots)
    while frontier:
        found |= frontier
        frontier = {pid for pid, (_, _, parent) in stats.items() if parent in frontier} - found
    return found & stats.keys()


def _pg_connection():
    """A connection for reading PostgreSQL's session count, opened before the run (a new backend mid-run is
    a fork on the machine under test)."""
    import psycopg

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return None
    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


def _pg_sessions(connection) -> float:
    """Sessions ever opened on the bench database (a pool that churns connections shows here)."""
    if connection is None:
        return 0.0
    row = connection.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()").fetchone()
    return float(row[0])


# ---- orchestration


def run(mode: str, url_a: str, url_b: str, label: str) -> None:
    """Fan the pairs out over PROCS worker processes, then print the aggregate figures."""
    pairs = int(os.environ.get("PAIRS", "100"))
    procs = int(os.environ.get("PROCS", "2"))
    duration = int(os.environ.get("DUR", "20"))
    start_at = time.time() + 5 + pairs * 0.05  # time to connect everyone
    bounds = [(pairs * k // procs, pairs * (k + 1) // procs) for k in range(procs)]
    children = [
        subprocess.Popen(
            [sys.executable, __file__, "worker", mode, url_a, url_b, str(lo), str(hi), str(start_at), str(duration)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for lo, hi in bounds
    ]
    meter = CpuMeter([int(pid) for pid in os.environ.get("SERVER_PIDS", "").split()])
    timer = threading.Thread(target=_measure_window, args=(meter, start_at + warmup_seconds(), duration), daemon=True)
    timer.start()
    disk = DiskProbe(ROOT / "bench" / "out", start_at + warmup_seconds(), duration)
    if os.environ.get("DISK_PROBE", "1") == "1":
        disk.start()
    results = []
    for child in children:
        out, _ = child.communicate(timeout=warmup_seconds() + duration + 120)
        lines = [line for line in out.splitlines() if line.startswith("{")]
        if child.returncode != 0 or not lines:
            raise SystemExit(f"a bench worker failed (exit {child.returncode})")
        results.append(json.loads(lines[-1]))
    sent = sum(r["sent"] for r in results)
    delivery = sorted(x for r in results for x in r["delivery"])
    ack = sorted(x for r in results for x in r["ack"])
    receipt = sorted(x for r in results for x in r["receipt"])
    errors: dict[str, int] = {}
    for r in results:
        for code, n in r["errors"].items():
            errors[code] = errors.get(code, 0) + n
    elapsed = max(r["elapsed"] for r in results)
    print(
        f"{label:<34} {2 * pairs} clients, {duration}s: sent {sent}, delivered {len(delivery)} "
        f"({len(delivery) / elapsed:6.1f} msg/s){'  errors ' + str(errors) if errors else ''}"
    )
    for name, values in (("delivery", delivery), ("ack", ack), ("receipt", receipt)):
        p50, p99, top = pct(values, 50), pct(values, 99), pct(values, 100)
        print(f"    {name:<9} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   max {top:7.2f} ms   (n={len(values)})")
    slow = sorted(entry for r in results for entry in r["slow"])
    if slow:
        print(_slow_windows(slow, start_at + warmup_seconds()))
    timer.join(timeout=5)
    if len(meter.samples) == 2:
        print(meter.report(sent))
    if disk.is_alive() or disk.latencies:
        disk.join(timeout=5)
        print(disk.report())


def _slow_windows(slow: list[list], measured_from: float) -> str:
    """Where the tail is: the deliveries over SLOW_MS by the 100 ms window they were sent in (stall or load?)."""
    windows: dict[int, list[list]] = {}
    for entry in slow:
        windows.setdefault(int((entry[0] - measured_from) * 10), []).append(entry)
    busiest = sorted(windows.items(), key=lambda item: -len(item[1]))[:4]

    def describe(window: int, entries: list[list]) -> str:
        at = time.strftime("%H:%M:%S", time.gmtime(measured_from + window / 10))
        a_to_b = sum(entry[2] == "a" for entry in entries)
        processes = len({entry[3] for entry in entries})
        worst = max(entry[1] for entry in entries)
        return (
            f"+{window / 10:.1f} s ({at}): {len(entries)}"
            f" (A->B {a_to_b}, client processes {processes}, worst {worst:.0f} ms)"
        )

    described = ", ".join(describe(window, entries) for window, entries in busiest)
    return f"    slow      {len(slow)} over {SLOW_MS} ms, in {len(windows)} windows of 100 ms; busiest {described}"


class DiskProbe(threading.Thread):
    """Times an `fdatasync` of a scratch file every 20 ms while the clients send: how the disk that PostgreSQL
    flushes its WAL to behaves (on this machine, bench/out is on the same disk). This VM's disk stalls now and
    then, with no load at all (a 60 s idle probe: max 171 ms); a message's ack waits for the WAL flush, its
    delivery does not, so a stall here shows in the ack and receipt tails."""

    INTERVAL = 0.02

    def __init__(self, folder: Path, start_at: float, duration: int) -> None:
        super().__init__(daemon=True)
        self.path, self.start_at, self.duration = folder / f"disk-probe-{os.getpid()}", start_at, duration
        self.latencies: list[float] = []

    def run(self) -> None:
        time.sleep(max(0.0, self.start_at - time.time()))
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            block, end = b"x" * 8192, time.time() + self.duration
            while time.time() < end:
                os.pwrite(fd, block, 0)
                began = time.perf_counter()
                os.fdatasync(fd)
                self.latencies.append((time.perf_counter() - began) * 1000)
                time.sleep(self.INTERVAL)
        finally:
            os.close(fd)
            self.path.unlink(missing_ok=True)

    def report(self) -> str:
        values = sorted(self.latencies)
        stalls = sum(value > SLOW_MS for value in values)
        return (
            f"    disk      fdatasync every {self.INTERVAL * 1000:.0f} ms: p50 {pct(values, 50):.2f} ms, "
            f"p99 {pct(values, 99):.1f} ms, max {pct(values, 100):.0f} ms, {stalls} over {SLOW_MS} ms (n={len(values)})"
        )


def _measure_window(meter: CpuMeter, start_at: float, duration: int) -> None:
    """Sample CPU when the clients start sending and when they stop."""
    time.sleep(max(0.0, start_at - time.time()))
    meter.sample()
    time.sleep(duration)
    meter.sample()


def pct(values: list[float], p: float) -> float:
    """Return the p-th percentile (nearest rank) of sorted values; NaN when empty."""
    if not values:
        return float("nan")
    if p >= 100:
        return values[-1]
    return values[max(0, int(len(values) * p / 100 + 0.5) - 1)] if p != 50 else statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    seed_parser = sub.add_parser("seed")
    seed_parser.add_argument("--pairs", type=int, default=int(os.environ.get("PAIRS", "100")))
    run_parser = sub.add_parser("run")
    run_parser.add_argument("mode", choices=["spotter", "relay"])
    run_parser.add_argument("url_a")
    run_parser.add_argument("url_b")
    run_parser.add_argument("--label", default="")
    worker_parser = sub.add_parser("worker")
    for name in ("mode", "url_a", "url_b", "first", "last", "start_at", "duration"):
        worker_parser.add_argument(name)
    args = parser.parse_args()
    if args.command == "seed":
        seed(args.pairs)
    elif args.command == "run":
        run(args.mode, args.url_a, args.url_b, args.label or args.mode)
    else:
        worker(
            args.mode, args.url_a, args.url_b, int(args.first), int(args.last), float(args.start_at), int(args.duration)
        )


if __name__ == "__main__":
    main()
