"""The production profile on real servers: PostgreSQL (directory, conversations, Rasa's tracker
store) and Redis (Rasa's lock store), both throwaway (tests/postgres.py, tests/redis.py), with
two real engine instances, the action server and the api started as `make run PROFILE=prod`
starts them (`navigator serve engine [--instance 2] | actions | api`, NAVIGATOR_PROFILE=prod).

Order and loss: bursts of concurrent texts from one sender are answered one by one, in order.
Faults: an engine instance down (the other takes over), every engine down or hung (a kind answer
within 3 s, the message kept, the conversation continues after a restart, also mid-form),
the action server down, PostgreSQL down for a few seconds, Twilio REST sends failing.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text
from twilio.request_validator import RequestValidator

from api.services.crypto import Vault
from api.services.gateway import (
    EMPTY_ENGINE_REPLY,
    ENGINE_DOWN_REPLY,
    STORE_DOWN_REPLY,
)
from api.services.pseudonym import pseudonymous_id
from resources_db.conversations import Message
from tests.conftest import ROOT
from tests.fake_twilio import FakeTwilio
from tests.postgres import SUPERUSER, ThrowawayCluster, create_database, find_binaries
from tests.redis import redis_url  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

NAVIGATOR = str(ROOT / ".venv" / "bin" / "navigator")
STARTUP_TIMEOUT_S = 240
ACCOUNT = "AC" + "8" * 32
COACH = ("pat@example.org", "prod profile coach password")
ENGINES = ("engine", "engine2")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_pair() -> int:
    """A port p with p + 1 free too (engine instances are on consecutive ports)."""
    for _ in range(50):
        port = free_port()
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
    raise RuntimeError("no two consecutive free ports")


def _tail(path: Path, n: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-n:]) if path.exists() else ""


class ProdSystem:
    """The processes of the prod profile, which tests stop and start again."""

    COMMANDS = {"engine": ["serve", "engine"], "engine2": ["serve", "engine", "--instance", "2"],
                "actions": ["serve", "actions"], "api": ["serve", "api"]}

    def __init__(self, work: Path, env: dict[str, str], cluster: ThrowawayCluster,
                 twilio: FakeTwilio):
        self.work, self.env, self.cluster, self.twilio = work, env, cluster, twilio
        self.base = f"http://127.0.0.1:{env['API_PORT']}"
        self.procs: dict[str, subprocess.Popen] = {}

    def log(self, name: str) -> Path:
        return self.work / f"{name}.log"

    def start(self, *names: str) -> None:
        for name in names:
            with self.log(name).open("a") as handle:
                self.procs[name] = subprocess.Popen(
                    [NAVIGATOR, *self.COMMANDS[name]], env=self.env, cwd=ROOT, stdout=handle,
                    stderr=subprocess.STDOUT, start_new_session=True)

    def signal(self, name: str, sig: int) -> None:
        os.killpg(self.procs[name].pid, sig)

    def kill(self, *names: str) -> None:
        for name in names:
            proc = self.procs[name]
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGCONT)
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)

    def wait_healthy(self, timeout_s: float = STARTUP_TIMEOUT_S) -> float:
        start = time.monotonic()
        while time.monotonic() - start < timeout_s:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    pytest.fail(f"{name} exited with {proc.returncode}:\n{_tail(self.log(name))}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=3).status_code == 200:
                    return time.monotonic() - start
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        pytest.fail("not healthy in time:\n" + "\n".join(
            f"--- {n}\n{_tail(self.log(n))}" for n in self.procs))

    # PostgreSQL down and up again on the same port (the processes keep their URLs).
    def pg_stop(self) -> None:
        self.cluster._run(self.cluster.bin["pg_ctl"], "-D", str(self.cluster.data), "-m", "fast",
                          "-w", "stop")

    def pg_start(self) -> None:
        proc = self.cluster._run(self.cluster.bin["pg_ctl"], "-D", str(self.cluster.data),
                                 "-l", str(self.cluster.log), "-o", f"-p {self.cluster.port}",
                                 "-w", "-t", "30", "start")
        assert proc.returncode == 0, proc.stderr

    # --- talking to it
    def sms(self, sender: str, body: str, timeout: float = 30) -> tuple[str, float]:
        """(reply text, seconds) for one signed webhook call."""
        url = f"{self.base}/sms/inbound"
        form = {"MessageSid": f"SM{uuid.uuid4().hex}", "From": sender, "Body": body}
        start = time.monotonic()
        response = httpx.post(url, data=form, timeout=timeout,
                              headers={"X-Twilio-Signature": self.signature(url, form)})
        assert response.status_code == 200, response.text
        return twiml_text(response.text), time.monotonic() - start

    def signature(self, url: str, form: dict[str, str]) -> str:
        return RequestValidator(self.env["TWILIO_AUTH_TOKEN"]).compute_signature(url, form)

    def chat(self, client_id: str, body: str) -> list[dict]:
        response = httpx.post(f"{self.base}/chat/messages", timeout=30,
                              json={"client_id": client_id, "text": body})
        assert response.status_code == 200, response.text
        return response.json()["messages"]

    def conversation(self, channel: str, address: str) -> str:
        return pseudonymous_id(self.env["PSEUDONYM_KEY"], channel, address)

    def tracker_events(self, conversation: str) -> list[dict]:
        port = self.env["RASA_PORT"]
        response = httpx.get(f"http://127.0.0.1:{port}/conversations/{conversation}/tracker",
                             params={"token": self.env["RASA_TOKEN"]}, timeout=10)
        response.raise_for_status()
        return response.json()["events"]

    def messages(self, conversation: str) -> list[tuple[str, str]]:
        """(direction, status) of our stored messages, oldest first."""
        engine = create_engine(self.env["DATABASE_URL"])
        try:
            with engine.connect() as conn:
                return [tuple(row) for row in conn.execute(
                    select(Message.direction, Message.status)
                    .where(Message.conversation_id == conversation)
                    .order_by(Message.created_at))]
        finally:
            engine.dispose()


def twiml_text(body: str) -> str:
    return " ".join((m.text or "") for m in ElementTree.fromstring(body).iter("Message")).strip()


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory, redis_url: str):  # noqa: F811
    binaries = find_binaries()
    assert binaries is not None, "PostgreSQL server binaries are needed (tests/postgres.py)"
    work = tmp_path_factory.mktemp("prod")
    cluster = ThrowawayCluster(binaries)
    twilio_token = secrets.token_hex(16)
    with FakeTwilio(ACCOUNT, twilio_token) as twilio:
        system = None
        try:
            cluster.init()
            port = cluster.start()
            server = f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/postgres"
            database = create_database(server, "navigator")
            tracker = create_database(server, "rasa_tracker").replace("+psycopg", "")
            api_port = free_port()
            env = dict(os.environ)
            env.update({
                "ENVIRONMENT": "test", "NAVIGATOR_PROFILE": "prod", "ENGINE_INSTANCES": "2",
                "API_PORT": str(api_port), "RASA_PORT": str(free_port_pair()),
                "ACTION_PORT": str(free_port()),
                "DATABASE_URL": database, "RASA_TRACKER_DB": tracker, "REDIS_URL": redis_url,
                "RASA_TOKEN": secrets.token_hex(16), "PSEUDONYM_KEY": secrets.token_hex(16),
                "DATA_ENCRYPTION_KEY": secrets.token_hex(16),
                "TWILIO_AUTH_TOKEN": twilio_token, "TWILIO_ACCOUNT_SID": ACCOUNT,
                "TWILIO_API_BASE": twilio.url, "PUBLIC_BASE_URL": f"http://127.0.0.1:{api_port}",
                "COACH_HOURS": "24/7", "MESSAGES_PER_MINUTE": "1000",
                # A hung engine is given up on after this: the kind answer within 3 s.
                "RASA_TIMEOUT_S": "2.5",
            })
            env.pop("RASA_URLS", None)
            for step in (["db", "upgrade"], ["db", "seed"], ["train"]):
                subprocess.run([NAVIGATOR, *step], env=env, cwd=ROOT, check=True, timeout=900,
                               capture_output=True)
            subprocess.run([NAVIGATOR, "coach", "add", COACH[0]], env=env, cwd=ROOT, check=True,
                           timeout=60, input=COACH[1] + "\n", text=True, capture_output=True)
            system = ProdSystem(work, env, cluster, twilio)
            system.start(*ENGINES, "actions", "api")
            took = system.wait_healthy()
            print(f"\n[prod] two engines, actions and api healthy in {took:.1f} s")
            yield system
        finally:  # also when start-up failed: never leave processes behind
            if system is not None:
                system.stop_all()
            cluster.stop()


def test_the_prod_profile_runs_on_postgresql_and_redis_with_two_engines(prod, redis_url):  # noqa: F811
    body = httpx.get(f"{prod.base}/healthz", timeout=5).json()
    assert body["status"] == "ok" and body["database"]["services"] > 0
    for port in (int(prod.env["RASA_PORT"]), int(prod.env["RASA_PORT"]) + 1):
        status = httpx.get(f"http://127.0.0.1:{port}/status",
                           params={"token": prod.env["RASA_TOKEN"]}, timeout=5)
        assert status.status_code == 200 and status.json()["model_file"]
    reply, _ = prod.sms("+15555550101", "I need a job in Erie")
    assert "Erie" in reply
    # Rasa's tracker is in PostgreSQL, not in a file.
    engine = create_engine(prod.env["RASA_TRACKER_DB"].replace("postgresql://",
                                                                "postgresql+psycopg://"))
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM events WHERE sender_id = :s"),
                           {"s": prod.conversation("sms", "+15555550101")}) > 0
    engine.dispose()
    assert "lock_store" in (ROOT / "endpoints.prod.yml").read_text()


def test_no_message_text_at_rest_in_postgresql_rows_or_data_files(prod):
    """Both databases (the gateway's, Rasa's tracker store) hold the person's words encrypted
    only: in no column of any row (row as text), and nowhere in the cluster's files (heap,
    WAL), while the data key opens every tracker row of the conversation."""
    word, sender = "zebrapostgresword", "+15555550109"
    reply, _ = prod.sms(sender, f"I need a job in Erie {word}")
    assert "Erie" in reply
    conversation = prod.conversation("sms", sender)
    vault = Vault(prod.env["DATA_ENCRYPTION_KEY"])
    for url in (prod.env["RASA_TRACKER_DB"], prod.env["DATABASE_URL"]):
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect() as conn:
            tables = conn.scalars(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).all()
            assert "events" in tables or "message" in tables
            for table in tables:
                assert conn.scalar(text(  # noqa: S608 (names from the catalogue)
                    f'SELECT count(*) FROM "{table}" AS t WHERE t::text ILIKE :w'),
                    {"w": f"%{word}%"}) == 0, f"{word} in plaintext in {table}"
            if "events" in tables:
                rows = conn.scalars(text("SELECT data FROM events WHERE sender_id = :s"),
                                    {"s": conversation}).all()
                opened = [vault.decrypt(data) for data in rows]
                assert rows and None not in opened and word in " ".join(opened)
            else:
                bodies = conn.scalars(select(Message.body_encrypted).where(
                    Message.conversation_id == conversation)).all()
                assert word in " ".join(vault.decrypt(b) or "" for b in bodies)
            conn.execute(text("CHECKPOINT"))  # every page in the files, not only in the WAL
        engine.dispose()
    for path in prod.cluster.data.rglob("*"):
        if path.is_file():
            assert word.encode() not in path.read_bytes().lower(), path


BURST = ("hi", "I need a job in Erie", "more", "2", "thanks", "sober house for women",
         "pittsburgh", "1")


async def _burst(prod: ProdSystem, sender: str, texts: tuple[str, ...],
                 gap_s: float) -> list[str]:
    """All of a sender's texts in flight at once (sent gap_s apart); their reply texts."""
    url = f"{prod.base}/sms/inbound"
    async with httpx.AsyncClient(timeout=60) as client:
        async def one(i: int, body: str) -> str:
            await asyncio.sleep(i * gap_s)
            form = {"MessageSid": f"SM{uuid.uuid4().hex}", "From": sender, "Body": body}
            response = await client.post(url, data=form, headers={
                "X-Twilio-Signature": prod.signature(url, form)})
            assert response.status_code == 200
            return twiml_text(response.text)

        return await asyncio.gather(*(one(i, body) for i, body in enumerate(texts)))


def assert_answered_in_order(prod: ProdSystem, sender: str, texts: tuple[str, ...],
                             replies: list[str]) -> None:
    for reply in replies:
        assert reply and ENGINE_DOWN_REPLY not in reply and EMPTY_ENGINE_REPLY not in reply
    conversation = prod.conversation("sms", sender)
    events = prod.tracker_events(conversation)
    users = [e["text"] for e in events if e["event"] == "user"]
    assert users == list(texts)  # every message reached the engine once, in the order sent
    # Each message was answered before the next one was read: a bot event between users.
    kinds = [e["event"] for e in events if e["event"] in ("user", "bot")]
    for before, after in zip(kinds, kinds[1:], strict=False):
        assert not (before == "user" and after == "user"), kinds
    # Our store: inbound, its answer, inbound, its answer... nothing lost, nothing interleaved.
    directions = [d for d, _status in prod.messages(conversation)]
    assert directions == ["inbound", "outbound"] * len(texts)


def test_a_burst_from_one_sender_is_answered_in_order(prod):
    sender = "+15555550102"
    replies = asyncio.run(_burst(prod, sender, BURST, gap_s=0.02))
    assert_answered_in_order(prod, sender, BURST, replies)
    assert "Erie" in replies[1] and "Pittsburgh" in replies[6]


def test_bursts_from_many_senders_at_once_over_both_engines(prod):
    senders = [f"+1555555{n:04d}" for n in range(200, 206)]

    async def all_bursts():
        return await asyncio.gather(*(_burst(prod, s, BURST[:5], gap_s=0.01) for s in senders))

    for sender, replies in zip(senders, asyncio.run(all_bursts()), strict=True):
        assert_answered_in_order(prod, sender, BURST[:5], replies)


def test_one_engine_down_the_other_answers_every_conversation(prod):
    prod.kill("engine")
    try:
        for n in range(6):
            reply, took = prod.sms(f"+155555503{n:02d}", "I need a job in Erie")
            assert "Erie" in reply and ENGINE_DOWN_REPLY not in reply
    finally:
        prod.start("engine")
        prod.wait_healthy()


def test_engines_down_a_kind_answer_within_3_s_and_the_form_continues_after_restart(prod):
    sender = "+15555550401"
    first = prod.chat("client-prod-form-0401", "sober house for women")
    asked = " ".join(m.get("text") or "" for m in first)
    assert "town, county or zip" in asked  # the form waits for the place
    first_sms, _ = prod.sms(sender, "sober house for women")
    assert "town, county or zip" in first_sms
    prod.kill(*ENGINES)
    try:
        reply, took = prod.sms(sender, "pittsburgh")
        assert reply.startswith(ENGINE_DOWN_REPLY[:40]) and "COACH" in reply and "988" in reply
        assert took < 3.0
        down = prod.chat("client-prod-form-0401", "pittsburgh")
        assert down[0]["text"] == ENGINE_DOWN_REPLY
        conversation = prod.conversation("sms", sender)
        assert prod.messages(conversation)[-2] == ("inbound", "received")  # kept
    finally:
        prod.start(*ENGINES)
        prod.wait_healthy()
    # Both engines are new processes: the half-filled form comes from PostgreSQL.
    reply, _ = prod.sms(sender, "pittsburgh")
    assert "Pittsburgh" in reply and ENGINE_DOWN_REPLY not in reply
    again = prod.chat("client-prod-form-0401", "pittsburgh")
    listing = next(m for m in again if (m.get("custom") or {}).get("resources"))
    assert all(r["need"] == "housing" for r in listing["custom"]["resources"])


def test_a_hung_engine_gets_a_kind_answer_within_3_s(prod):
    for name in ENGINES:
        prod.signal(name, signal.SIGSTOP)
    try:
        reply, took = prod.sms("+15555550501", "I need a job in Erie")
        assert reply.startswith(ENGINE_DOWN_REPLY[:40]) and took < 3.0
    finally:
        for name in ENGINES:
            prod.signal(name, signal.SIGCONT)
    prod.wait_healthy(60)
    reply, _ = prod.sms("+15555550502", "I need a job in Erie")
    assert "Erie" in reply


def test_action_server_down_the_person_still_gets_a_useful_answer(prod):
    prod.kill("actions")
    try:
        reply, took = prod.sms("+15555550601", "I need a job in Erie")
        assert reply and took < 15
        assert ENGINE_DOWN_REPLY not in reply
        assert "COACH" in reply  # a way on: a person, or try again
    finally:
        prod.start("actions")
        prod.wait_healthy(60)
    reply, _ = prod.sms("+15555550601", "I need a job in Erie")
    assert "Erie" in reply and EMPTY_ENGINE_REPLY not in reply


def test_database_down_for_a_few_seconds_is_said_and_then_recovers(prod):
    sender = "+15555550701"
    prod.sms(sender, "hi")
    prod.pg_stop()
    try:
        reply, took = prod.sms(sender, "I need a job in Erie")
        assert reply == STORE_DOWN_REPLY and took < 3.0  # not lost silently: send it again
        health = httpx.get(f"{prod.base}/healthz", timeout=10)
        assert health.status_code == 503 and health.json()["database"]["state"] == "down"
        time.sleep(2)
    finally:
        prod.pg_start()
    deadline, reply = time.monotonic() + 30, ""
    while time.monotonic() < deadline:  # a pooled connection or two may still be stale
        reply, _ = prod.sms(sender, "I need a job in Erie")
        if "Erie" in reply:
            break
        time.sleep(0.5)
    assert "Erie" in reply, reply
    prod.wait_healthy(30)
    directions = [d for d, _s in prod.messages(prod.conversation("sms", sender))]
    assert directions[:2] == ["inbound", "outbound"] and directions[-2:] == ["inbound",
                                                                              "outbound"]


def test_twilio_failing_sends_are_retried_and_the_failure_shows_in_the_coach_api(prod):
    sender = "+15555550801"
    prod.sms(sender, "COACH")
    token = httpx.post(f"{prod.base}/api/v1/auth/token", timeout=10,
                       json={"email": COACH[0], "password": COACH[1]}).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    conversation = prod.conversation("sms", sender)
    api = f"{prod.base}/api/v1/conversations/{conversation}"
    assert httpx.post(f"{api}/claim", headers=auth, timeout=10).status_code == 200
    sent = len(prod.twilio.messages)
    prod.twilio.fail_next = 3  # every attempt fails (SmsSender tries 3 times, with backoff)
    start = time.monotonic()
    failed = httpx.post(f"{api}/messages", headers=auth, timeout=30,
                        json={"text": "Hi, this is Pat, a recovery coach."})
    assert failed.json()["status"] == "send_failed"
    assert time.monotonic() - start >= 1.4  # 0.5 s then 1 s between the three tries
    assert prod.twilio.fail_next == 0 and len(prod.twilio.messages) == sent
    prod.twilio.fail_next = 1  # one failure, then the retry goes through
    ok = httpx.post(f"{api}/messages", headers=auth, timeout=30,
                    json={"text": "Are you still there?"})
    assert ok.json()["status"] == "queued" and len(prod.twilio.messages) == sent + 1
    transcript = httpx.get(f"{api}/messages", headers=auth, timeout=10).json()
    statuses = {line["text"]: line["status"] for line in transcript}
    assert statuses["Hi, this is Pat, a recovery coach."] == "send_failed"
    assert statuses["Are you still there?"] == "queued"
    engine = create_engine(prod.env["DATABASE_URL"])
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Message)
                           .where(Message.status == "send_failed")) >= 1
    engine.dispose()
