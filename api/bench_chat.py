"""`navigator bench chat`: turn latency and throughput of SMS conversations, end to end.

A measurement, not a test. N concurrent simulated people text the Twilio webhook
(`POST /sms/inbound`, form-encoded, signed exactly as Twilio signs) for a fixed time, each
looping over realistic multi-turn scripts from their own fictional +1555 number. Every scripted
turn expects a reply: a turn is an error when the status is not 200, the TwiML holds no
<Message> (a slow turn answered later by REST counts as an error here, too) or the message is
one the gateway makes itself when the engine did not answer (engine down, rate limited).

In the same run the same scripts, at the same concurrency and for the same time, go straight to
the Rasa engine's REST channel, so the gateway's overhead (signature check, encrypted storage,
pseudonymous ids, crisis net, rendering) reads as a ratio.

By default the bench starts its own system: the three real processes (`navigator serve
engine|actions|api`) on free loopback ports with a throwaway SQLite directory (migrated, seeded,
model trained if needed), and stops them at the end, also on Ctrl-C or an error. With a base URL
it targets a running system instead (TWILIO_AUTH_TOKEN, PUBLIC_BASE_URL and RASA_TOKEN from the
environment). Only loopback addresses are accepted.

Latencies include every turn, errors too. Throughput is turns over the wall time from the start
until the last conversation finished its in-flight turn. The last line printed is one JSON object
with the headline numbers.

A soak: `--rate R` paces all conversations together to R turns a second (half the maximum
rate measured without it, say) and `--paths gateway` leaves out the REST-channel comparison.
With its own system the bench samples the resident memory of the engine, action server and
api (each with its child processes) every few seconds and reports start, end and growth.
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import json
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

import httpx
from twilio.request_validator import RequestValidator

from api.services.gateway import (
    EMPTY_ENGINE_REPLY,
    ENGINE_DOWN_REPLY,
    SLOW_DOWN_REPLY,
    STORE_DOWN_REPLY,
)

ROOT = Path(__file__).resolve().parent.parent
NAVIGATOR = Path(sys.executable).parent / "navigator"
STARTUP_TIMEOUT_S = 240
REQUEST_TIMEOUT_S = 30.0
# Twilio waits 15 s for the webhook; the bench wants every reply inline.
INLINE_TIMEOUT_S = 14
JSON_KEYS = ("conversations", "turns", "errors", "p50_ms", "p95_ms", "p99_ms", "turns_per_s",
             "rasa_direct_p95_ms", "rasa_direct_turns_per_s")
# Added to the JSON object when a rate was set or memory was sampled.
SOAK_KEYS = ("rate_per_s", "rss_start_mb", "rss_end_mb", "rss_growth_pct")
PATHS = ("gateway", "direct")
MEMORY_SAMPLE_S = 5.0

SCRIPTS: tuple[tuple[str, ...], ...] = (
    ("hi", "I need a job in Erie", "more", "2", "thanks"),
    ("sober house for women", "pittsburgh", "1"),
    ("need daycare help in lancaster", "2"),
    ("bus to my appointment", "york"),
    ("careerlink near 19104", "more"),
)


# Replies the gateway makes itself when the engine did not answer the turn: not a bot reply.
GATEWAY_OWN_REPLIES = (
    (ENGINE_DOWN_REPLY.split(".")[0], "engine down reply"),
    (SLOW_DOWN_REPLY.split(",")[0], "rate limited"),
    (EMPTY_ENGINE_REPLY.split(".")[0], "empty engine reply"),
    (STORE_DOWN_REPLY.split(".")[0], "store down reply"),
)


def say(message: str) -> None:
    print(f"[bench chat] {message}", file=sys.stderr, flush=True)


# --- measuring ------------------------------------------------------------------------------

@dataclass
class PathResult:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    elapsed_s: float = 0.0

    @property
    def turns(self) -> int:
        return len(self.latencies_ms)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def percentile(self, p: float) -> float:
        """Nearest rank; 0 when nothing was measured."""
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    @property
    def turns_per_s(self) -> float:
        return self.turns / self.elapsed_s if self.elapsed_s > 0 else 0.0


# One turn: (client, sender, text) -> None when answered, else a short error reason.
TurnFn = Callable[[httpx.AsyncClient, str, str], Awaitable[str | None]]


def sms_turn(base_url: str, public_base_url: str, twilio_token: str) -> TurnFn:
    post_url = base_url.rstrip("/") + "/sms/inbound"
    signed_url = public_base_url.rstrip("/") + "/sms/inbound"  # what Twilio signs
    validator = RequestValidator(twilio_token)

    async def turn(client: httpx.AsyncClient, sender: str, text: str) -> str | None:
        form = {"MessageSid": f"SM{uuid.uuid4().hex}", "AccountSid": "AC" + "0" * 32,
                "From": sender, "To": "+15555550100", "Body": text, "NumMedia": "0"}
        signature = validator.compute_signature(signed_url, form)
        response = await client.post(post_url, data=form,
                                     headers={"X-Twilio-Signature": signature})
        if response.status_code != 200:
            return f"status {response.status_code}"
        try:
            messages = list(ElementTree.fromstring(response.text).iter("Message"))
        except ElementTree.ParseError:
            return "not TwiML"
        text = " ".join((m.text or "").strip() for m in messages).strip()
        if not text:
            return "no <Message>"
        for marker, reason in GATEWAY_OWN_REPLIES:
            if marker in text:
                return reason
        return None

    return turn


def rasa_turn(rasa_url: str, rasa_token: str) -> TurnFn:
    url = rasa_url.rstrip("/") + "/webhooks/rest/webhook"

    async def turn(client: httpx.AsyncClient, sender: str, text: str) -> str | None:
        response = await client.post(url, params={"token": rasa_token},
                                     json={"sender": sender, "message": text})
        if response.status_code != 200:
            return f"status {response.status_code}"
        try:
            replies = response.json()
        except ValueError:
            return "not JSON"
        if not any(isinstance(m, dict) and m.get("text") for m in replies or []):
            return "no reply text"
        return None

    return turn


# --- memory ---------------------------------------------------------------------------------

def _children(pid: int) -> list[int]:
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        found = []
        for task in tasks:
            found += [int(c) for c in (task / "children").read_text().split()]
        return found
    except OSError:
        return []


def rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB (0 when it is gone)."""
    total_kb, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
        todo += _children(current)
    return total_kb / 1024


@dataclass
class MemoryWatch:
    """RSS of named processes, sampled while a path runs."""

    pids: dict[str, int]
    samples: list[dict[str, float]] = field(default_factory=list)

    def sample(self) -> None:
        self.samples.append({name: round(rss_mb(pid), 1) for name, pid in self.pids.items()})

    async def run(self, every_s: float = MEMORY_SAMPLE_S) -> None:
        while True:
            self.sample()
            await asyncio.sleep(every_s)

    def summary(self) -> dict[str, object]:
        if not self.samples:
            return {}
        start, end = self.samples[0], self.samples[-1]
        growth = {n: round((end[n] - start[n]) / start[n] * 100, 1) if start[n] else 0.0
                  for n in start}
        return {"rss_start_mb": start, "rss_end_mb": end, "rss_growth_pct": growth}


# --- driving ---------------------------------------------------------------------------------

async def _progress(result: PathResult, memory: MemoryWatch | None, every_s: float = 60) -> None:
    """A line a minute on stderr for long runs (a soak)."""
    started = time.monotonic()
    while True:
        await asyncio.sleep(every_s)
        rss = f", RSS MB {memory.samples[-1]}" if memory and memory.samples else ""
        say(f"{result.name}: {time.monotonic() - started:.0f} s, {result.turns} turns, "
            f"{result.error_count} errors{rss}")


async def drive(name: str, turn: TurnFn, conversations: int, duration_s: float,
                new_sender: Callable[[int], str], turns_per_sender: int | None = None,
                rate_per_s: float | None = None, memory: MemoryWatch | None = None,
                ) -> PathResult:
    """N conversations loop over SCRIPTS until the duration is up (a turn in flight finishes).

    Conversation i starts at script i, so different scripts run at the same time. With
    turns_per_sender, a conversation moves on to a fresh sender before a script would take
    its sender past that many turns (keeps each number under a per-sender rate limit). With
    rate_per_s, turn k of the whole run (any conversation) starts no earlier than k / rate
    seconds after the start; a late turn goes at once, without a burst to catch up."""
    result = PathResult(name)
    next_slot = itertools.count()
    sampler = asyncio.create_task(memory.run()) if memory else None
    progress = asyncio.create_task(_progress(result, memory)) if duration_s >= 120 else None
    limits = httpx.Limits(max_connections=conversations, max_keepalive_connections=conversations)
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S, limits=limits,
                                 trust_env=False) as client:
        started = time.monotonic()
        deadline = started + duration_s

        async def conversation(i: int) -> None:
            sender, used = new_sender(i), 0
            for script in itertools.islice(itertools.cycle(SCRIPTS), i % len(SCRIPTS), None):
                if turns_per_sender and used + len(script) > turns_per_sender:
                    sender, used = new_sender(i), 0
                for text in script:
                    if rate_per_s:
                        start_at = started + next(next_slot) / rate_per_s
                        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
                    if time.monotonic() >= deadline:
                        return
                    t0 = time.perf_counter()
                    try:
                        error = await turn(client, sender, text)
                    except httpx.HTTPError as exc:
                        error = type(exc).__name__
                    result.latencies_ms.append((time.perf_counter() - t0) * 1000)
                    used += 1
                    if error:
                        result.errors[error] += 1

        try:
            await asyncio.gather(*(conversation(i) for i in range(conversations)))
        finally:
            for task in (sampler, progress):
                if task:
                    task.cancel()
        result.elapsed_s = time.monotonic() - started
        if memory:
            memory.sample()
    return result


def sender_factories(run: str) -> tuple[Callable[[int], str], Callable[[int], str]]:
    """Fictional +1555 phone numbers for SMS, distinct sender ids for Rasa direct; every call
    gives a sender never used before in this run."""
    phones = itertools.count(int(run, 16) % 9_000_000 + 1_000_000)
    ids = itertools.count()

    def phone(_conversation: int) -> str:
        return f"+1555{next(phones) % 10_000_000:07d}"

    def rasa_sender(conversation: int) -> str:
        return f"bench-{run}-c{conversation}-{next(ids)}"

    return phone, rasa_sender


async def run_both(conversations: int, duration_s: float, base_url: str, rasa_url: str,
                   public_base_url: str, twilio_token: str, rasa_token: str,
                   turns_per_sender: int | None, rate_per_s: float | None = None,
                   paths: tuple[str, ...] = PATHS, memory: MemoryWatch | None = None,
                   ) -> tuple[PathResult, PathResult]:
    """The gateway path, then Rasa direct (each only if in paths); memory is sampled while the
    gateway path runs."""
    run = secrets.token_hex(4)
    phone, rasa_sender = sender_factories(run)
    sms = sms_turn(base_url, public_base_url, twilio_token)
    direct = rasa_turn(rasa_url, rasa_token)
    # Warm up (not measured): every script once through each path, one sender per script, so
    # what the processes load on first use (places, statements, model parts) is loaded before
    # the clock and the memory samples start.
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S, trust_env=False) as client:
        for label, fn, new in (("gateway", sms, phone), ("rasa", direct, rasa_sender)):
            for script in SCRIPTS:
                sender = new(-1)
                for text in script:
                    if (error := await fn(client, sender, text)) is not None:
                        raise RuntimeError(f"warm-up turn through {label} failed: {error}")
    paced = f", {rate_per_s:g} turns/s" if rate_per_s else ""
    gateway, rasa = PathResult("gateway SMS"), PathResult("rasa direct")
    if "gateway" in paths:
        say(f"gateway SMS: {conversations} conversations for {duration_s:g} s{paced}")
        gateway = await drive(gateway.name, sms, conversations, duration_s, phone,
                              turns_per_sender, rate_per_s, memory)
    if "direct" in paths:
        say(f"rasa direct: {conversations} conversations for {duration_s:g} s{paced}")
        rasa = await drive(rasa.name, direct, conversations, duration_s, rasa_sender,
                           turns_per_sender, rate_per_s)
    return gateway, rasa


def report(conversations: int, gateway: PathResult, rasa: PathResult,
           out: Callable[[str], None] = print, rate_per_s: float | None = None,
           memory: MemoryWatch | None = None, paths: tuple[str, ...] = PATHS,
           ) -> dict[str, object]:
    out(f"{'path':<14}{'turns':>8}{'errors':>8}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}"
        f"{'turns/s':>10}")
    for r in (gateway, rasa):
        out(f"{r.name:<14}{r.turns:>8}{r.error_count:>8}{r.percentile(50):>10.1f}"
            f"{r.percentile(95):>10.1f}{r.percentile(99):>10.1f}{r.turns_per_s:>10.2f}")
    for r in (gateway, rasa):
        for reason, n in r.errors.most_common():
            out(f"errors in {r.name}: {n} x {reason}")

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}x" if b else "n/a"

    out(f"p95 gateway / p95 direct: {ratio(gateway.percentile(95), rasa.percentile(95))}")
    out(f"throughput gateway / direct: {ratio(gateway.turns_per_s, rasa.turns_per_s)}")
    summary = {
        "conversations": conversations, "turns": gateway.turns, "errors": gateway.error_count,
        "p50_ms": round(gateway.percentile(50), 1), "p95_ms": round(gateway.percentile(95), 1),
        "p99_ms": round(gateway.percentile(99), 1),
        "turns_per_s": round(gateway.turns_per_s, 2),
        "rasa_direct_p95_ms": round(rasa.percentile(95), 1) if "direct" in paths else None,
        "rasa_direct_turns_per_s": round(rasa.turns_per_s, 2) if "direct" in paths else None,
    }
    assert tuple(summary) == JSON_KEYS
    if rate_per_s or (memory and memory.samples):
        summary["rate_per_s"] = rate_per_s
        summary.update(memory.summary() if memory and memory.samples else
                       dict.fromkeys(SOAK_KEYS[1:]))
        assert tuple(summary) == JSON_KEYS + SOAK_KEYS
        if memory and memory.samples:
            out(f"memory (MB) start {summary['rss_start_mb']}, end {summary['rss_end_mb']}, "
                f"peak { {n: max(s[n] for s in memory.samples) for n in memory.pids} }, "
                f"growth % {summary['rss_growth_pct']} ({len(memory.samples)} samples)")
    out(json.dumps(summary))
    return summary


def bench_chat(conversations: int, duration_s: float, base_url: str, rasa_url: str,
               public_base_url: str, twilio_token: str, rasa_token: str,
               turns_per_sender: int | None = None,
               out: Callable[[str], None] = print, rate_per_s: float | None = None,
               paths: tuple[str, ...] = PATHS, pids: dict[str, int] | None = None,
               ) -> tuple[dict, PathResult, PathResult]:
    """The paths against a running system; prints the table and, last, the JSON line. With
    pids (name -> process id) their memory is sampled during the gateway path."""
    if conversations < 1 or duration_s <= 0:
        raise ValueError("conversations must be >= 1 and duration > 0")
    if rate_per_s is not None and rate_per_s <= 0:
        raise ValueError("the rate must be > 0 turns a second")
    if not paths or set(paths) - set(PATHS):
        raise ValueError(f"paths: one or more of {', '.join(PATHS)}")
    for url in (base_url, rasa_url):
        require_loopback(url)
    memory = MemoryWatch(pids) if pids else None
    gateway, rasa = asyncio.run(run_both(conversations, duration_s, base_url, rasa_url,
                                         public_base_url, twilio_token, rasa_token,
                                         turns_per_sender, rate_per_s, paths, memory))
    return (report(conversations, gateway, rasa, out, rate_per_s, memory, paths),
            gateway, rasa)


def require_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise ValueError(f"{url}: the bench only talks to loopback addresses")


# --- its own system -------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, n: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-n:]) if path.exists() else ""


def system_env(work: Path) -> dict[str, str]:
    api_port = free_port()
    env = dict(os.environ)
    env.update({
        "ENVIRONMENT": "test",
        "API_HOST": "127.0.0.1", "API_PORT": str(api_port), "RASA_HOST": "127.0.0.1",
        "RASA_PORT": str(free_port()), "ACTION_PORT": str(free_port()),
        "DATABASE_URL": f"sqlite:///{work / 'navigator.db'}",
        "RASA_TRACKER_DB": str(work / "tracker.db"),
        "RASA_TOKEN": secrets.token_hex(16), "PSEUDONYM_KEY": secrets.token_hex(16),
        "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
        "DATA_ENCRYPTION_KEY": secrets.token_hex(16),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{api_port}",
        # Nothing listens there: a slow turn's REST reply fails locally instead of going out.
        "TWILIO_API_BASE": f"http://127.0.0.1:{free_port()}",
        "MESSAGES_PER_MINUTE": "100000",  # the per-sender limit must not throttle the bench
        "SMS_INLINE_TIMEOUT_S": str(INLINE_TIMEOUT_S),
        "RASA_TELEMETRY_ENABLED": "false",
    })
    return env


def _stop(procs: dict[str, tuple[subprocess.Popen, Path]]) -> None:
    for proc, _log in procs.values():
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    for proc, _log in procs.values():
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _wait_until_healthy(base: str, procs: dict[str, tuple[subprocess.Popen, Path]]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        for name, (proc, log) in procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{_tail(log)}")
        try:
            if httpx.get(f"{base}/healthz", timeout=3, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError("not healthy in time:\n" + "\n".join(
        f"--- {n}\n{_tail(log)}" for n, (_p, log) in procs.items()))


@contextmanager
def own_system() -> Iterator[tuple[dict[str, str], dict[str, int]]]:
    """Migrate + seed a throwaway directory, train if needed, start the three processes and
    yield their env and process ids once /healthz is 200; always stops them (and deletes the
    directory)."""
    with tempfile.TemporaryDirectory(prefix="navigator-bench-chat-") as tmp:
        work = Path(tmp)
        env = system_env(work)
        started = time.monotonic()
        for step in (["db", "upgrade"], ["db", "seed"], ["train"]):
            say(f"navigator {' '.join(step)}")
            subprocess.run([str(NAVIGATOR), *step], env=env, cwd=ROOT, check=True, timeout=900,
                           stdout=subprocess.DEVNULL)
        procs: dict[str, tuple[subprocess.Popen, Path]] = {}
        try:
            for name in ("engine", "actions", "api"):
                log = work / f"{name}.log"
                with log.open("w") as handle:
                    procs[name] = (subprocess.Popen(
                        [str(NAVIGATOR), "serve", name], env=env, cwd=ROOT, stdout=handle,
                        stderr=subprocess.STDOUT, start_new_session=True), log)
            base = f"http://127.0.0.1:{env['API_PORT']}"
            _wait_until_healthy(base, procs)
            say(f"system healthy at {base} after {time.monotonic() - started:.1f} s")
            yield env, {name: proc.pid for name, (proc, _log) in procs.items()}
        finally:  # also on Ctrl-C and when start-up failed: never leave processes behind
            if procs:
                say("stopping engine, action server and api")
            _stop(procs)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the bench (and its system) like Ctrl-C does


def main(conversations: int, duration_s: float, base_url: str | None,
         rasa_url: str | None, turns_per_person: int | None = None,
         rate_per_s: float | None = None, paths: tuple[str, ...] = PATHS) -> int:
    """The CLI entry point. Returns 1 when a turn failed on either path, 130 when stopped."""
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return _main(conversations, duration_s, base_url, rasa_url, turns_per_person,
                     rate_per_s, paths)
    except KeyboardInterrupt:
        say("interrupted: nothing measured is printed; every process it started is stopped")
        return 130
    except (ValueError, RuntimeError) as exc:  # a bad URL, a start-up or warm-up failure
        say(f"failed: {exc}")
        return 2


def _main(conversations: int, duration_s: float, base_url: str | None,
          rasa_url: str | None, turns_per_person: int | None = None,
          rate_per_s: float | None = None, paths: tuple[str, ...] = PATHS) -> int:
    lines: list[str] = []
    if base_url is None:
        if rasa_url is not None:
            raise SystemExit("--rasa-url needs --base-url (the bench starts its own engine)")
        with own_system() as (env, pids):
            _summary, gateway, rasa = bench_chat(
                conversations, duration_s, f"http://127.0.0.1:{env['API_PORT']}",
                f"http://127.0.0.1:{env['RASA_PORT']}", env["PUBLIC_BASE_URL"],
                env["TWILIO_AUTH_TOKEN"], env["RASA_TOKEN"], turns_per_sender=turns_per_person,
                out=lines.append, rate_per_s=rate_per_s, paths=paths, pids=pids)
    else:
        from api.settings import get_settings

        s = get_settings()
        # Its api may limit each sender (MESSAGES_PER_MINUTE): no number goes past that.
        _summary, gateway, rasa = bench_chat(
            conversations, duration_s, base_url, rasa_url or s.rasa_url, s.public_base_url,
            s.twilio_auth_token, s.rasa_token,
            turns_per_sender=min(turns_per_person or s.messages_per_minute, s.messages_per_minute),
            out=lines.append, rate_per_s=rate_per_s, paths=paths)
    # Printed once the system is stopped, so the JSON object really is the last line.
    for line in lines:
        print(line, flush=True)
    return 1 if gateway.error_count or rasa.error_count or not (gateway.turns or rasa.turns) \
        else 0
