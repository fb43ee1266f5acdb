"""`navigator run` itself, as an operator runs it: a process that dies is restarted while the
others keep serving, and no secret is in any output, log file or command line.

Two systems, one after the other (a class each, so only one is up at a time), both with
distinctive secret values:
- dev profile (SQLite): kill -9 the action server, then the engine. Every text sent while the
  process is down and restarting is answered (the kind fallbacks; a crisis with 988), and the
  killed process serves again within 30 s.
- prod profile (throwaway PostgreSQL and Redis, both with a password; two engines): kill -9 one
  engine; the other answers every text.
Each class ends by stopping `navigator run` (SIGINT as Ctrl-C, SIGTERM as a service manager):
every process is gone within seconds; then everything it printed and every log file is
searched for the secrets. While it runs, so is every /proc/*/cmdline on the machine.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
from twilio.request_validator import RequestValidator

from api.services.gateway import EMPTY_ENGINE_REPLY, ENGINE_DOWN_REPLY
from api.services.pseudonym import pseudonymous_id
from tests.coach_login import PASSWORD, make_coach
from tests.conftest import ROOT
from tests.fake_twilio import FakeTwilio
from tests.postgres import SUPERUSER, ThrowawayCluster, create_database, find_binaries
from tests.redis import ThrowawayRedis, find_redis_server

pytestmark = pytest.mark.integration

NAVIGATOR = str(ROOT / ".venv" / "bin" / "navigator")
STARTUP_TIMEOUT_S = 300  # migrate, seed, maybe train, then load the engine(s)
HEALTHY_AGAIN_S = 30  # the limit: a killed process serves again within this
CRISIS = "i want to die"
ACCOUNT = "AC" + "6" * 32


def free_ports() -> tuple[int, int, int]:
    """(api, first engine, action server) ports, all different, the first engine's next one
    free too (engine instances are on consecutive ports). Every socket stays bound until all
    are chosen, so the system never gets the same port twice."""
    for _ in range(50):
        held: list[socket.socket] = []
        try:
            for _port in range(3):
                s = socket.socket()
                held.append(s)
                s.bind(("127.0.0.1", 0))
            api, engine, actions = (s.getsockname()[1] for s in held)
            s = socket.socket()
            held.append(s)
            s.bind(("127.0.0.1", engine + 1))
            return api, engine, actions
        except OSError:
            continue
        finally:
            for s in held:
                s.close()
    raise RuntimeError("no free ports")


def distinctive_secrets() -> dict[str, str]:
    """Values that cannot appear anywhere by chance."""
    return {name: f"{name.lower().replace('_', '-')}-{secrets.token_hex(12)}"
            for name in ("RASA_TOKEN", "TWILIO_AUTH_TOKEN", "PSEUDONYM_KEY",
                         "DATA_ENCRYPTION_KEY")}


def base_env(work: Path, twilio: FakeTwilio, secret: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("RASA_URLS", "NAVIGATOR_PROFILE", "ENGINE_INSTANCES", "REDIS_URL")}
    api_port, engine_port, action_port = free_ports()
    env.update(secret)
    env.update({
        "ENVIRONMENT": "test", "API_PORT": str(api_port), "RASA_PORT": str(engine_port),
        "ACTION_PORT": str(action_port), "RASA_TRACKER_DB": str(work / "tracker.db"),
        "DATABASE_URL": f"sqlite:///{work / 'navigator.db'}",
        "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_API_BASE": twilio.url,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{api_port}", "COACH_HOURS": "24/7",
        "MESSAGES_PER_MINUTE": "1000",
        # The engine's Sanic access log on (Rasa's default keeps it off): every request's URL,
        # the token's too, goes through the engine's redaction (bot/serve.py).
        "LOG_LEVEL_LIBRARIES": "INFO",
    })
    return env


def twiml_text(body: str) -> str:
    return " ".join((m.text or "") for m in ElementTree.fromstring(body).iter("Message")).strip()


def children_of() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return tree


def running(pid: int) -> bool:
    """Not gone and not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def command_lines() -> dict[int, str]:
    """Every process's command line on this machine, as any local user can read it."""
    lines = {}
    for path in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            lines[int(path.parent.name)] = path.read_bytes().replace(b"\0", b" ").decode(
                errors="replace")
        except OSError:
            continue
    return lines


class Run:
    """One `navigator run`, its output in a file."""

    def __init__(self, work: Path, env: dict[str, str], secret: dict[str, str],
                 twilio: FakeTwilio):
        self.work, self.env, self.secret, self.twilio = work, env, secret, twilio
        self.base = f"http://127.0.0.1:{env['API_PORT']}"
        self.output_path = work / "navigator-run.out"
        self.proc: subprocess.Popen | None = None
        self.started_at = time.time()
        self.extra_logs: list[Path] = []  # other servers' logs to search too

    def start(self) -> None:
        with self.output_path.open("w") as out:
            self.proc = subprocess.Popen([NAVIGATOR, "run"], env=self.env, cwd=ROOT,
                                         stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)

    def output(self) -> str:
        return self.output_path.read_text(errors="replace")

    def pid(self, name: str) -> int | None:
        found = re.findall(rf"\[navigator\] {name} started \(pid (\d+)\)", self.output())
        return int(found[-1]) if found else None

    def descendants(self) -> set[int]:
        tree, found, todo = children_of(), set(), [self.proc.pid]
        while todo:
            for child in tree.get(todo.pop(), []):
                found.add(child)
                todo.append(child)
        return found

    def wait_healthy(self, timeout_s: float = STARTUP_TIMEOUT_S) -> float:
        start = time.monotonic()
        while time.monotonic() - start < timeout_s:
            if self.proc.poll() is not None:
                pytest.fail(f"navigator run exited with {self.proc.returncode}:\n"
                            + self.output()[-4000:])
            if re.search(r"\[navigator\] \S+ \(pid \d+\) died: .*; restart 3 ", self.output()):
                pytest.fail("a process keeps dying:\n" + "\n".join(
                    line for line in self.output().splitlines() if "[navigator]" in line))
            try:
                if httpx.get(f"{self.base}/healthz", timeout=3).status_code == 200:
                    return time.monotonic() - start
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        pytest.fail("not healthy in time:\n" + self.output()[-4000:])

    def warm_up(self) -> None:
        """A system's first turns are slow (models, connections): not what is measured."""
        for n in range(4):  # different people: each engine gets some
            answer, _took = self.sms(f"+1555500{n:04d}", "I need a job in Erie")
            assert "Erie" in answer

    def engine_serving(self, port: int) -> bool:
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/status",
                                 params={"token": self.env["RASA_TOKEN"]}, timeout=2)
            return response.status_code == 200 and bool(response.json().get("model_file"))
        except (httpx.HTTPError, ValueError):
            return False

    def actions_serving(self) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{self.env['ACTION_PORT']}/health",
                             timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def sms(self, sender: str, body: str) -> tuple[str, float]:
        """(the answer, seconds): inline TwiML, or what came through the Twilio REST API
        after an empty TwiML (a slow turn)."""
        url = f"{self.base}/sms/inbound"
        form = {"MessageSid": f"SM{uuid.uuid4().hex}", "From": sender, "Body": body}
        signature = RequestValidator(self.env["TWILIO_AUTH_TOKEN"]).compute_signature(url, form)
        start, sent = time.monotonic(), len(self.twilio.messages)
        response = httpx.post(url, data=form, timeout=30,
                              headers={"X-Twilio-Signature": signature})
        assert response.status_code == 200, response.text
        answer = twiml_text(response.text)
        while not answer and time.monotonic() - start < 30:
            answer = " ".join(m.get("Body", "") for m in self.twilio.messages[sent:]
                              if m.get("To") == sender)
            time.sleep(0.1)
        return answer, time.monotonic() - start

    def stop(self, sig: int) -> float:
        """Ctrl-C (SIGINT to the foreground group) or SIGTERM; seconds until all are gone."""
        assert self.proc.poll() is None, "navigator run is not running"
        before = self.descendants()
        assert before
        start = time.monotonic()
        if sig == signal.SIGINT:
            os.killpg(self.proc.pid, sig)  # a terminal sends it to the whole foreground group
        else:
            self.proc.send_signal(sig)
        self.proc.wait(timeout=30)
        took = time.monotonic() - start
        deadline = time.monotonic() + 5  # a SIGKILLed orphan may take a moment to be gone
        while (alive := {pid for pid in before if running(pid)}) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive, f"still running after navigator run stopped: {alive}"
        return took

    def kill_everything(self) -> None:
        if self.proc is None:
            return
        for pid in self.descendants():
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)


def kill_and_keep_texting(run: Run, name: str, serving: Callable[[], bool],
                          tag: str) -> tuple[float, list[tuple[str, str, float]]]:
    """kill -9 the process `name`, then text (one after another, two a second, a crisis every
    fourth) until it serves again as a new process, and three more.
    (seconds until it served, [(body, answer, seconds to answer)])."""
    old = run.pid(name)
    assert old in run.descendants()
    os.kill(old, signal.SIGKILL)
    killed = time.monotonic()
    replies: list[tuple[str, str, float]] = []
    back_after: float | None = None
    after_back = 0
    n = 0
    while after_back < 3 and time.monotonic() - killed < HEALTHY_AGAIN_S + 30:
        body = CRISIS if n % 4 == 3 else "I need a job in Erie"
        replies.append((body, *run.sms(f"+1555{tag}{n:04d}", body)))
        n += 1
        if back_after is None:
            new = run.pid(name)
            if new not in (None, old) and serving():
                back_after = time.monotonic() - killed
        else:
            after_back += 1
        time.sleep(0.5)
    assert back_after is not None, f"{name} did not serve again:\n{run.output()[-3000:]}"
    assert back_after < HEALTHY_AGAIN_S
    log = run.output()
    assert re.search(rf"\[navigator\] {name} \(pid {old}\) died: killed by SIGKILL", log)
    assert re.search(rf"\[navigator\] {name} \(pid {run.pid(name)}\) is serving again", log)
    for body, reply, _took in replies:
        assert reply, f"{body!r} got no answer"
        if body == CRISIS:
            assert "988" in reply and "911" in reply
    return back_after, replies


def kinds(replies: list[tuple[str, str, float]]) -> Counter:
    def kind(body: str, reply: str) -> str:
        if body == CRISIS:
            return "crisis answer"
        if reply == ENGINE_DOWN_REPLY:
            return "engine-down fallback"
        if reply == EMPTY_ENGINE_REPLY:
            return "cannot-look-up fallback"
        return "search answer" if "Erie" in reply else f"other: {reply[:60]}"

    return Counter(kind(b, r) for b, r, _t in replies)


def last_search(replies: list[tuple[str, str, float]]) -> str:
    return next(r for b, r, _t in reversed(replies) if b != CRISIS)


def summary(replies: list[tuple[str, str, float]]) -> str:
    slowest = max(t for _b, _r, t in replies)
    return f"{len(replies)} texts, every one answered (slowest {slowest:.1f} s): {dict(kinds(replies))}"


def exercise_every_path(run: Run, twilio: FakeTwilio, db_url: str) -> None:
    """What puts secrets to use: engine calls (token), health checks, web chat, a coach's
    reply by SMS through the Twilio REST API (auth token), the engine's own token check."""
    port = int(run.env["RASA_PORT"])
    assert httpx.get(f"http://127.0.0.1:{port}/status", timeout=5).status_code == 401
    assert run.engine_serving(port)  # the token from the environment is the engine's
    for _ in range(3):
        assert httpx.get(f"{run.base}/healthz", timeout=10).status_code == 200
    chat = httpx.post(f"{run.base}/chat/messages", timeout=30,
                      json={"client_id": f"client-{uuid.uuid4().hex[:12]}",
                            "text": "sober house in pittsburgh"})
    assert chat.status_code == 200 and chat.json()["messages"]
    email = make_coach(db_url)
    token = httpx.post(f"{run.base}/api/v1/auth/token", timeout=10,
                       json={"email": email, "password": PASSWORD}).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    phone = "+15555557701"
    run.sms(phone, "COACH")
    conversation = pseudonymous_id(run.env["PSEUDONYM_KEY"], "sms", phone)
    queue = httpx.get(f"{run.base}/api/v1/queue", headers=auth, timeout=10).json()
    assert conversation in {row["conversation_id"] for row in queue}
    api = f"{run.base}/api/v1/conversations/{conversation}"
    assert httpx.post(f"{api}/claim", headers=auth, timeout=10).status_code == 200
    sent = len(twilio.messages)
    reply = httpx.post(f"{api}/messages", headers=auth, timeout=30,
                       json={"text": "Hi, this is a recovery coach."})
    assert reply.json()["status"] == "queued" and len(twilio.messages) == sent + 1


def assert_no_secret_on_any_command_line(run: Run, secret: dict[str, str]) -> None:
    lines = command_lines()
    ours = run.descendants()
    assert {run.pid(n) for n in ("engine", "actions", "api")} <= ours
    for pid, line in lines.items():
        for name, value in secret.items():
            if value in line:
                pytest.fail(f"{name} on the command line of pid {pid}: "
                            + line.replace(value, f"<{name}>")[:300])


def assert_no_secret_in(files: list[Path], secret: dict[str, str]) -> None:
    assert files
    for path in files:
        text = path.read_bytes().decode("latin-1")
        for name, value in secret.items():
            if value in text:
                line = next(x for x in text.splitlines() if value in x)
                pytest.fail(f"{name} found in {path}:\n{line.replace(value, f'<{name}>')[:300]}")


def assert_redacted_lines_from_both(run: Run) -> None:
    """The engine's URLs were logged by the api (httpx) and the engine (Sanic's access log),
    without the token: the scan below is not passing because nothing was logged."""
    output = run.output()
    for name in ("api", "engine"):
        assert re.search(rf"^\S+ {name} +\|.*token=\[redacted\]", output, re.MULTILINE), name


def log_files(run: Run, *extra: Path) -> list[Path]:
    """navigator run's output, every file in the system's own dir, and anything under var/
    written while it ran."""
    mine = [p for p in run.work.rglob("*") if p.is_file()]
    var = [p for p in (ROOT / "var").rglob("*")
           if p.is_file() and p.stat().st_mtime >= run.started_at]
    return [run.output_path, *mine, *var, *(p for p in extra if p.exists())]


# --- dev profile ------------------------------------------------------------------------------

@pytest.fixture(scope="class")
def dev_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Run, FakeTwilio]]:
    work = tmp_path_factory.mktemp("run-dev")
    secret = distinctive_secrets()
    with FakeTwilio(ACCOUNT, secret["TWILIO_AUTH_TOKEN"]) as twilio:
        run = Run(work, base_env(work, twilio, secret), secret, twilio)
        try:
            run.start()
            took = run.wait_healthy()
            print(f"\n[run dev] navigator run healthy in {took:.1f} s")
            run.warm_up()
            yield run, twilio
        finally:
            run.kill_everything()


class TestDevProfile:
    def test_the_action_server_killed_is_restarted_and_every_text_answered(self, dev_run):
        run, _twilio = dev_run
        engine, api = run.pid("engine"), run.pid("api")
        took, replies = kill_and_keep_texting(run, "actions", run.actions_serving, "551")
        print(f"\n[run dev] actions killed: serving again after {took:.1f} s; "
              + summary(replies))
        assert set(kinds(replies)) <= {"crisis answer", "cannot-look-up fallback",
                                       "search answer"}
        assert "Erie" in last_search(replies)  # searches work again
        assert (run.pid("engine"), run.pid("api")) == (engine, api)  # never restarted

    def test_the_engine_killed_is_restarted_and_every_text_answered(self, dev_run):
        run, _twilio = dev_run
        actions, api = run.pid("actions"), run.pid("api")
        port = int(run.env["RASA_PORT"])
        took, replies = kill_and_keep_texting(run, "engine", lambda: run.engine_serving(port),
                                              "552")
        print(f"\n[run dev] engine killed: serving again after {took:.1f} s; "
              + summary(replies))
        assert set(kinds(replies)) <= {"crisis answer", "engine-down fallback", "search answer"}
        assert "Erie" in last_search(replies)
        assert (run.pid("actions"), run.pid("api")) == (actions, api)
        assert run.wait_healthy(30) < 30

    def test_no_secret_on_any_command_line(self, dev_run):
        run, twilio = dev_run
        exercise_every_path(run, twilio, run.env["DATABASE_URL"])
        assert_no_secret_on_any_command_line(run, run.secret)

    def test_ctrl_c_stops_every_process_and_no_secret_is_in_any_output(self, dev_run):
        run, _twilio = dev_run
        took = run.stop(signal.SIGINT)
        print(f"\n[run dev] Ctrl-C: every process stopped in {took:.1f} s")
        assert took < 20 and run.proc.returncode == 130
        assert "[navigator] all processes stopped" in run.output()
        assert_redacted_lines_from_both(run)
        assert_no_secret_in(log_files(run), run.secret)


# --- prod profile -----------------------------------------------------------------------------

@pytest.fixture(scope="class")
def prod_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Run, FakeTwilio]]:
    binaries, redis_binary = find_binaries(), find_redis_server()
    assert binaries is not None and redis_binary is not None, "PostgreSQL and Redis are needed"
    work = tmp_path_factory.mktemp("run-prod")
    secret = distinctive_secrets()
    secret["DATABASE_PASSWORD"] = f"pg-password-{secrets.token_hex(12)}"
    secret["REDIS_PASSWORD"] = f"redis-password-{secrets.token_hex(12)}"
    cluster = ThrowawayCluster(binaries)
    redis = ThrowawayRedis(redis_binary, password=secret["REDIS_PASSWORD"])
    run = None
    with FakeTwilio(ACCOUNT, secret["TWILIO_AUTH_TOKEN"]) as twilio:
        try:
            cluster.init()
            port = cluster.start()
            redis_port = redis.start()
            server = f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/postgres"
            create_database(server, "navigator")
            create_database(server, "rasa_tracker")
            # The cluster trusts 127.0.0.1, so the password is not checked there; it is still
            # given to every process that connects, which is what is under test.
            with_password = f"{SUPERUSER}:{secret['DATABASE_PASSWORD']}@127.0.0.1:{port}"
            env = base_env(work, twilio, {k: v for k, v in secret.items()
                                          if not k.endswith("_PASSWORD")})
            env.update({
                "NAVIGATOR_PROFILE": "prod", "ENGINE_INSTANCES": "2",
                "DATABASE_URL": f"postgresql+psycopg://{with_password}/navigator",
                "RASA_TRACKER_DB": f"postgresql://{with_password}/rasa_tracker",
                "REDIS_URL": f"redis://:{secret['REDIS_PASSWORD']}@127.0.0.1:{redis_port}/0",
            })
            run = Run(work, env, secret, twilio)
            run.extra_logs = [cluster.log, redis.log]
            run.start()
            took = run.wait_healthy()
            print(f"\n[run prod] navigator run (two engines) healthy in {took:.1f} s")
            run.warm_up()
            yield run, twilio
        finally:
            if run is not None:
                run.kill_everything()
            redis.stop()
            cluster.stop()


class TestProdProfile:
    def test_one_engine_killed_the_other_answers_every_text(self, prod_run):
        run, _twilio = prod_run
        others = {n: run.pid(n) for n in ("engine", "actions", "api")}
        port = int(run.env["RASA_PORT"]) + 1
        took, replies = kill_and_keep_texting(run, "engine2", lambda: run.engine_serving(port),
                                              "553")
        print(f"\n[run prod] engine2 killed: serving again after {took:.1f} s; "
              + summary(replies))
        assert set(kinds(replies)) <= {"crisis answer", "search answer"}  # the other engine
        assert {n: run.pid(n) for n in others} == others
        assert run.wait_healthy(30) < 30

    def test_no_secret_on_any_command_line(self, prod_run):
        run, twilio = prod_run
        exercise_every_path(run, twilio, run.env["DATABASE_URL"])
        assert run.pid("engine2") in run.descendants()
        assert_no_secret_on_any_command_line(run, run.secret)

    def test_sigterm_stops_every_process_and_no_secret_is_in_any_output(self, prod_run):
        run, _twilio = prod_run
        took = run.stop(signal.SIGTERM)
        print(f"\n[run prod] SIGTERM: every process stopped in {took:.1f} s")
        assert took < 20 and run.proc.returncode == 143
        assert_redacted_lines_from_both(run)
        assert_no_secret_in(log_files(run, *run.extra_logs), run.secret)
