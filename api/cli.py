"""`navigator`: one command for setting up, running and looking after the system.

The engine runs in its own venv (.venv-engine); this CLI runs in .venv and starts it as a
subprocess, so nothing here imports Rasa.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE_PYTHON = ROOT / ".venv-engine" / "bin" / "python"
APP_BIN = Path(sys.executable).parent


def say(message: str) -> None:
    print(f"[navigator] {message}", flush=True)


def runtime_env() -> dict[str, str]:
    """Environment for the three processes, derived from the one Settings object."""
    from api.settings import get_settings

    s = get_settings()
    env = dict(os.environ)
    env.update({
        "RASA_TELEMETRY_ENABLED": "false",
        "RASA_TOKEN": s.rasa_token,
        "RASA_HOST": s.rasa_host,
        "RASA_PORT": str(s.rasa_port),
        "ACTION_PORT": str(s.action_port),
        "ACTION_SERVER_URL": f"{s.action_server_url}/webhook",
        "DATABASE_URL": s.database_url,
        "SANIC_HOST": "127.0.0.1",  # the action server listens on loopback only
        "NAVIGATOR_PROFILE": s.navigator_profile,
        "RASA_URLS": ",".join(s.rasa_endpoints),  # the gateway spreads conversations over them
        # The engine encrypts its tracker store with the same key and, in production, refuses
        # a missing or default one (bot/crypto.py): also when they are set in .env only.
        "ENVIRONMENT": s.environment,
        "DATA_ENCRYPTION_KEY": s.data_encryption_key,
    })
    env["RASA_TRACKER_DB"] = s.rasa_tracker_db
    if s.redis_url:
        env["REDIS_URL"] = s.redis_url
    return env


def engine_ports() -> list[int]:
    """The ports of the engine instances this machine runs (ENGINE_INSTANCES from RASA_PORT)."""
    from api.settings import get_settings

    s = get_settings()
    return [s.rasa_port + i for i in range(max(1, s.engine_instances))]


def engine_command(*args: str) -> list[str]:
    if not ENGINE_PYTHON.exists():
        sys.exit("the engine environment is missing: run `make setup` (or scripts/bootstrap.sh)")
    return [str(ENGINE_PYTHON), "-m", "bot.launch", *args]


# --- db -------------------------------------------------------------------------------------

def cmd_db_upgrade(_args: argparse.Namespace) -> int:
    from resources_db.migrate import upgrade

    upgrade(runtime_env()["DATABASE_URL"])
    say("database schema is up to date")
    return 0


def cmd_db_seed(args: argparse.Namespace) -> int:
    from api.settings import get_settings
    from resources_db.db import make_engine, make_session_factory
    from resources_db.seed import DEFAULT_SEED_DIR, seed_all

    seed_dir = Path(args.seed_dir) if args.seed_dir else DEFAULT_SEED_DIR
    demo = bool(getattr(args, "demo", False)) or get_settings().demo_data
    if demo and get_settings().environment == "production":
        say("refusing demo records in production: they are invented listings")
        return 2
    say(f"seeding the directory from {seed_dir}"
        + (" with DEMO records (flagged demo in every reply)" if demo else ""))
    engine = make_engine(runtime_env()["DATABASE_URL"])
    with make_session_factory(engine)() as session:
        reports = seed_all(session, seed_dir, progress=lambda m: say(f"  imported {m}"),
                           include_demo=demo)
    engine.dispose()
    say(f"seed done: {sum(r.rows for r in reports)} records")
    return 0


def cmd_db_export_hsds(args: argparse.Namespace) -> int:
    from resources_db.exchange import export_hsds, open_session

    directory = Path(args.directory)
    with open_session(runtime_env()["DATABASE_URL"]) as session:
        report = export_hsds(session, directory)
    say(f"wrote {report.services} services and {report.organizations} organizations "
        f"(HSDS 3.0 JSON) and {len(report.tables)} CSV tables + datapackage.json to {directory}")
    return 0


def cmd_db_import(args: argparse.Namespace) -> int:
    """import-hsds DIR, import-jobs FILE, import-csv FILE: all or nothing."""
    from resources_db import csv_import, exchange, jobs_import

    importer = {"import-hsds": exchange.import_hsds, "import-jobs": jobs_import.import_jobs,
                "import-csv": csv_import.import_csv}[args.db_command]
    with exchange.open_session(runtime_env()["DATABASE_URL"]) as session:
        try:
            counts = importer(session, Path(args.path))
        except exchange.ImportFailed as exc:
            print(f"[navigator] {args.path}: {exc}", file=sys.stderr, flush=True)
            return 1
    say(f"imported {args.path}: " + ", ".join(f"{n} {table}" for table, n in counts.items()))
    return 0


def cmd_db_coverage(args: argparse.Namespace) -> int:
    """The county x need matrix of what the search gives, the listings to fix, and a CSV."""
    from api.services.directory_care import STALE_AFTER_DAYS, stale_services, today_pa
    from resources_db import coverage
    from resources_db.exchange import open_session

    started = time.monotonic()
    with open_session(runtime_env()["DATABASE_URL"]) as session:
        matrix = coverage.measure(session)
        leads = coverage.lead_ids(session)
        no_phone, no_phone_leads = coverage.split_leads(coverage.without_phone(session), leads)
        stale, stale_leads = coverage.split_leads(stale_services(session, today_pa()), leads)
    print(coverage.report_text(matrix, no_phone, no_phone_leads, stale, stale_leads,
                               STALE_AFTER_DAYS), flush=True)
    path = coverage.write_csv(matrix, Path(args.csv))
    say(f"wrote {path} ({len(matrix.counties)} counties); measured in "
        f"{time.monotonic() - started:.1f} s")
    return 0


# --- engine ---------------------------------------------------------------------------------

def cmd_train(_args: argparse.Namespace) -> int:
    return subprocess.call(engine_command("train"), cwd=ROOT, env=runtime_env())


def cmd_crisis_prepare(_args: argparse.Namespace) -> int:
    """The crisis net's learned layer trained (when its data changed) before the api starts,
    so that every api process only loads it."""
    from api.services.crisis_model import load_classifier

    started = time.monotonic()
    load_classifier()
    say(f"crisis net ready in {time.monotonic() - started:.1f} s")
    return 0


def cmd_engine_validate(_args: argparse.Namespace) -> int:
    return subprocess.call(engine_command("validate"), cwd=ROOT, env=runtime_env())


def cmd_engine_test_stories(_args: argparse.Namespace) -> int:
    return subprocess.call(engine_command("test-stories"), cwd=ROOT, env=runtime_env())


def cmd_nlu_eval(_args: argparse.Namespace) -> int:
    return subprocess.call(engine_command("nlu-eval"), cwd=ROOT, env=runtime_env())


def cmd_nlu_lookups(args: argparse.Namespace) -> int:
    from resources_db.gazetteer import write_location_lookup

    path = write_location_lookup(ROOT)
    say(f"wrote {path.relative_to(ROOT)}")
    return 0


# --- processes ------------------------------------------------------------------------------

def process_commands() -> dict[str, list[str]]:
    from api.settings import get_settings

    s = get_settings()
    ports = engine_ports()
    engines = {("engine" if i == 0 else f"engine{i + 1}"): engine_command("run", "--port", str(p))
               for i, p in enumerate(ports)}
    return {
        **engines,
        "actions": [str(APP_BIN / "python"), "-m", "rasa_sdk", "--actions", "actions",
                    "--port", str(s.action_port)],
        "api": [str(APP_BIN / "uvicorn"), "--factory", "api.main:create_app",
                "--host", s.api_host, "--port", str(s.api_port), "--no-access-log",
                # Coaches' event streams and chat sockets stay open: without a limit, one
                # open console would hold Ctrl-C / SIGTERM for ever.
                "--timeout-graceful-shutdown", "5"],
    }


def cmd_serve(args: argparse.Namespace) -> int:
    name = args.process
    if name == "engine" and args.instance > 1:
        name = f"engine{args.instance}"
    commands = process_commands()
    if name not in commands:
        sys.exit(f"there is no engine instance {args.instance} (ENGINE_INSTANCES)")
    command = commands[name]
    os.chdir(ROOT)
    os.execve(command[0], command, runtime_env())


def _announce_when_healthy(url: str, started: float, stop: threading.Event) -> None:
    import httpx

    while not stop.is_set():
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                say(f"all processes are healthy after {time.monotonic() - started:.1f} s")
                say(f"web chat:  {url}/")
                say(f"health:    {url}/healthz")
                say(f"coaches:   {url}/coach   (first account: navigator coach add EMAIL "
                    "--role admin)")
                say(f"SMS hook:  {url}/sms/inbound   (Ctrl-C stops everything)")
                return
        except httpx.HTTPError:
            pass
        stop.wait(0.5)


def _health_checks() -> dict[str, Callable[[], bool]]:
    """Per process, a check that it serves (the supervisor logs when a restarted one does)."""
    import httpx

    from api.settings import get_settings

    s = get_settings()

    def answers(url: str, params: dict[str, str] | None = None,
                accept: tuple[int, ...] = (200,)) -> bool:
        try:
            return httpx.get(url, params=params, timeout=2).status_code in accept
        except httpx.HTTPError:
            return False

    checks: dict[str, Callable[[], bool]] = {
        "actions": lambda: answers(f"{s.action_server_url}/health"),
        # The api serves even while /healthz says an engine is down (503).
        "api": lambda: answers(f"http://127.0.0.1:{s.api_port}/healthz", accept=(200, 503)),
    }
    for i, port in enumerate(engine_ports()):
        checks["engine" if i == 0 else f"engine{i + 1}"] = (
            lambda port=port: answers(f"http://{s.rasa_host}:{port}/status",
                                      {"token": s.rasa_token}))
    return checks


def cmd_run(args: argparse.Namespace) -> int:
    from api.settings import get_settings
    from api.supervisor import Program, Supervisor

    s = get_settings()
    started = time.monotonic()
    for step in (cmd_db_upgrade, cmd_db_seed, cmd_train, cmd_crisis_prepare):
        if (code := step(args)) != 0:
            return code
    env = runtime_env()
    url = f"http://{'localhost' if s.api_host in ('127.0.0.1', '0.0.0.0') else s.api_host}:{s.api_port}"
    ports = ", :".join(str(p) for p in engine_ports())
    say(f"profile {s.navigator_profile}: starting engine (:{ports}, loopback), action server (:{s.action_port}, loopback) "
        f"and api ({url}); the engine takes 10-30 s to load")
    checks = _health_checks()
    supervisor = Supervisor([Program(name, command, checks.get(name))
                             for name, command in process_commands().items()],
                            env=env, cwd=str(ROOT))
    stop = threading.Event()
    threading.Thread(target=_announce_when_healthy, args=(url, started, stop), daemon=True).start()
    # A process that dies is restarted (with backoff) while the others keep serving;
    # Ctrl-C / SIGTERM stops them all and waits for them (api/supervisor.py).
    code = supervisor.run()
    stop.set()
    return code


def cmd_bench_chat(args: argparse.Namespace) -> int:
    """SMS turn latency/throughput through the gateway and straight to Rasa (api/bench_chat.py)."""
    from api.bench_chat import main as bench_chat_main

    return bench_chat_main(args.conversations, args.duration, args.base_url, args.rasa_url,
                           args.turns_per_person, args.rate, tuple(args.paths.split(",")))


def cmd_crisis_eval(args: argparse.Namespace) -> int:
    """The crisis net on its frozen test portion, and cross-validated on its training data
    (api/services/crisis_eval.py): recall, false-positive rates, every miss and false alarm."""
    import json

    from api.services.crisis_eval import cross_validated_report, frozen_report

    frozen = frozen_report()
    say(f"cross-validating ({args.folds} folds, about a minute)…")
    cv = cross_validated_report(args.folds)
    print("frozen test portion (tests/data/crisis_frozen/, never tuned on), the net as deployed:")
    print(f"  crisis recall {frozen.figures['frozen_recall']:.3f} of "
          f"{frozen.figures['frozen_n_crisis']}, near-miss false positives "
          f"{frozen.figures['frozen_near_miss_false_positive_rate']:.3f} of "
          f"{frozen.figures['frozen_n_near_miss']}")
    for text in frozen.missed:
        print(f"  missed: {text}")
    for text, why in frozen.false_alarms:
        print(f"  false alarm ({why}): {text}")
    f = cv.figures
    print(f"cross-validated on the training data ({args.folds} folds; learned layer alone / "
          "rules or learned):")
    print(f"  crisis recall {f['cv_crisis_recall_learned']:.3f} / {f['cv_crisis_recall_net']:.3f}"
          f" of {f['cv_n_crisis']}")
    print(f"  near-miss false positives {f['cv_near_miss_false_positive_rate_learned']:.3f} / "
          f"{f['cv_near_miss_false_positive_rate_net']:.3f} of {f['cv_n_near_miss']}")
    print(f"  NLU example false positives {f['cv_nlu_false_positive_rate_learned']:.4f} / "
          f"{f['cv_nlu_false_positive_rate_net']:.4f} of {f['cv_n_nlu']}")
    for text in cv.missed:
        print(f"  missed (cross-validated): {text}")
    print(json.dumps({**frozen.figures, **cv.figures}))
    return 0


def cmd_bench_crisis(_args: argparse.Namespace) -> int:
    """CPU time of the whole crisis net (rules + learned layer) on long messages."""
    import json

    from api.services.crisis import match_rules, normalise
    from api.services.crisis_eval import speed_ms
    from api.services.crisis_model import load_classifier, training_sets

    sets = training_sets()
    load_classifier()  # trained or loaded before the clock starts
    texts = {"ordinary_20k": (" ".join(sets.nlu) * 3)[:20_000],
             "near_miss_20k": (" ".join(sets.near_miss) * 3)[:20_000],
             "short": "any jobs near 16601 for someone with a record"}
    result = {}
    for name, text in texts.items():
        rules = float("inf")
        for _ in range(3):
            start = time.process_time()
            match_rules(normalise(text))
            rules = min(rules, time.process_time() - start)
        result[f"{name}_net_ms"] = round(speed_ms(text), 2)
        result[f"{name}_rules_only_ms"] = round(rules * 1000, 2)
    print(json.dumps(result))
    return 0


def cmd_bench_search(args: argparse.Namespace) -> int:
    """search_services on a throwaway directory of synthetic services, against a full scan.
    SQLite (a temp file) unless DATABASE_URL points at PostgreSQL (a temp database there)."""
    from resources_db.bench import bench_search

    url = os.environ.get("DATABASE_URL") or None
    report = bench_search(args.services, args.queries, args.seed, database_url=url,
                          baseline_queries=args.baseline_queries)
    return 1 if report.mismatches else 0


def _privacy_context():
    from api.services.crypto import Vault
    from api.settings import get_settings
    from resources_db.db import make_engine, make_session_factory

    s = get_settings()
    return s, make_session_factory(make_engine(s.database_url)), Vault(s.data_encryption_key)


def cmd_purge(args: argparse.Namespace) -> int:
    from api.services.privacy import purge

    settings, sessions, _vault = _privacy_context()
    days = args.days if args.days is not None else settings.retention_days
    report = purge(sessions, settings.rasa_tracker_db, days)
    say(f"purged data older than {days} days: {report.messages} messages, "
        f"{report.conversations} conversations, {report.tracker_events} engine events")
    return 0


def cmd_person(args: argparse.Namespace) -> int:
    import json

    from api.services.privacy import delete_person, export_person

    settings, sessions, vault = _privacy_context()
    if args.person_command == "export":
        print(json.dumps(export_person(sessions, vault, settings.pseudonym_key, args.phone),
                         indent=2))
        return 0
    report = delete_person(sessions, settings.rasa_tracker_db, settings.pseudonym_key,
                           args.phone)
    say(f"deleted {report.messages} messages, {report.conversations} conversations and "
        f"{report.tracker_events} engine events for that number")
    return 0


def _read_password(confirm: bool) -> str:
    """From the terminal (asked twice), or the first line of stdin when it is not a terminal."""
    import getpass

    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if confirm and getpass.getpass("again: ") != first:
        sys.exit("[navigator] the two passwords differ")
    return first


def cmd_coach(args: argparse.Namespace) -> int:
    from api.services import accounts

    _settings, sessions, _vault = _privacy_context()
    with sessions() as session:
        try:
            if args.coach_command == "add":
                coach = accounts.add_coach(session, args.email, _read_password(confirm=True),
                                           role=args.role, display_name=args.name)
                say(f"added {coach.email} as {coach.role}")
            else:
                accounts.disable_coach(session, args.email)
                say(f"disabled {accounts.normal_email(args.email)}: signed out everywhere")
        except accounts.AccountError as error:
            print(f"[navigator] {error}", file=sys.stderr, flush=True)
            return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="navigator", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="migrate, seed, train if needed, then start all processes")
    run.add_argument("--seed-dir", help="seed folder (default ../shared/data/pa_seed)")
    run.add_argument("--demo", action="store_true",
                     help="try the bot with invented demo listings too (flagged DEMO)")
    run.set_defaults(func=cmd_run)

    train = sub.add_parser("train", help="train the Rasa model if config/domain/data changed")
    train.set_defaults(func=cmd_train)

    serve = sub.add_parser("serve", help="run one process in the foreground")
    serve.add_argument("process", choices=["engine", "actions", "api"])
    serve.add_argument("--instance", type=int, default=1,
                       help="engine instance N of ENGINE_INSTANCES (port RASA_PORT + N - 1)")
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="the resource directory database")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    db_sub.add_parser("upgrade", help="create or migrate the schema (Alembic)") \
        .set_defaults(func=cmd_db_upgrade)
    seed = db_sub.add_parser("seed", help="import ../shared/data/pa_seed (idempotent)")
    seed.add_argument("--seed-dir", help="seed folder (default ../shared/data/pa_seed)")
    seed.add_argument("--demo", action="store_true",
                      help="also add the invented demo job postings and residences (flagged "
                           "DEMO in every reply; also DEMO_DATA=true); without it, demo rows "
                           "left from an earlier seed are removed")
    seed.set_defaults(func=cmd_db_seed)
    export_hsds = db_sub.add_parser(
        "export-hsds", help="write the directory as HSDS 3.0 JSON + a CSV data package")
    export_hsds.add_argument("directory", help="output folder (created if missing)")
    export_hsds.set_defaults(func=cmd_db_export_hsds)
    for name, what, help_text in (
            ("import-hsds", "DIR", "import an export-hsds folder (services.json, "
                                   "organizations.json; all or nothing)"),
            ("import-jobs", "FILE", "import schema.org JobPosting JSON-LD (all or nothing)"),
            ("import-csv", "FILE", "add/update services from a CSV (all or nothing)")):
        importer = db_sub.add_parser(name, help=help_text)
        importer.add_argument("path", metavar=what)
        importer.set_defaults(func=cmd_db_import)

    db_coverage = db_sub.add_parser(
        "coverage", help="county x need matrix of what the search gives; listings to fix")
    db_coverage.add_argument("--csv", default=str(ROOT / "var" / "coverage.csv"),
                             help="where to write the matrix (default var/coverage.csv)")
    db_coverage.set_defaults(func=cmd_db_coverage)

    engine = sub.add_parser("engine", help="Rasa engine utilities")
    engine_sub = engine.add_subparsers(dest="engine_command", required=True, metavar="ENGINE_COMMAND")
    engine_sub.add_parser("validate", help="rasa data validate").set_defaults(func=cmd_engine_validate)
    engine_sub.add_parser("test-stories", help="rasa test core on tests/rasa (dialogue)") \
        .set_defaults(func=cmd_engine_test_stories)

    coach = sub.add_parser("coach", help="coach and admin accounts for the console")
    coach_sub = coach.add_subparsers(dest="coach_command", required=True, metavar="ACTION")
    add = coach_sub.add_parser("add", help="add an account (password from a prompt or stdin)")
    add.add_argument("email")
    add.add_argument("--role", choices=["coach", "admin"], default="coach")
    add.add_argument("--name", help="the name people see (default: the email's local part)")
    add.set_defaults(func=cmd_coach)
    disable = coach_sub.add_parser("disable", help="disable an account and sign it out")
    disable.add_argument("email")
    disable.set_defaults(func=cmd_coach)

    purge = sub.add_parser("purge", help="delete messages and engine events past retention")
    purge.add_argument("--days", type=int, help="override RETENTION_DAYS (default 30)")
    purge.set_defaults(func=cmd_purge)

    person = sub.add_parser("person", help="a person's own data, by phone number")
    person_sub = person.add_subparsers(dest="person_command", required=True, metavar="ACTION")
    for action, text in (("export", "print everything held about this number, decrypted"),
                         ("delete", "delete everything held about this number")):
        p = person_sub.add_parser(action, help=text)
        p.add_argument("phone", help="the phone number as Twilio sends it, e.g. +18145550100")
        p.set_defaults(func=cmd_person)

    bench = sub.add_parser("bench", help="benchmarks (they print numbers; tests are in make test)")
    bench_sub = bench.add_subparsers(dest="bench_command", required=True, metavar="BENCH")
    bench_sub.add_parser(
        "crisis", help="CPU time of the crisis net on 20,000-character messages") \
        .set_defaults(func=cmd_bench_crisis)
    bench_chat = bench_sub.add_parser(
        "chat", help="SMS conversations through the gateway vs straight to Rasa (latency)")
    bench_chat.add_argument("--conversations", type=int, default=8, help="concurrent people")
    bench_chat.add_argument("--duration", type=float, default=60, help="seconds per path")
    bench_chat.add_argument("--base-url", help="a running api (default: start an own system)")
    bench_chat.add_argument("--rasa-url", help="its engine (default: RASA_HOST/RASA_PORT)")
    bench_chat.add_argument(
        "--turns-per-person", type=int,
        help="a conversation moves to a new person (number) before this many turns (default: "
             "one person per conversation for the whole run; the engine's cost per turn grows "
             "with the length of a conversation)")
    bench_chat.add_argument(
        "--rate", type=float,
        help="turns a second for all conversations together (a soak: half the maximum rate); "
             "default: as fast as the system answers")
    bench_chat.add_argument("--paths", default="gateway,direct",
                            help="gateway, direct or both (default gateway,direct)")
    bench_chat.set_defaults(func=cmd_bench_chat)
    bench_search = bench_sub.add_parser(
        "search", help="search latency on synthetic services, against a full scan (which "
                       "takes most of the ~15 min at the defaults)")
    bench_search.add_argument("--services", type=int, default=100_000,
                              help="synthetic services in the throwaway directory")
    bench_search.add_argument("--queries", type=int, default=1_000, help="queries to time")
    bench_search.add_argument("--seed", type=int, default=42, help="makes data and queries")
    bench_search.add_argument("--baseline-queries", type=int,
                              help="full scans on only the first N queries (default: all)")
    bench_search.set_defaults(func=cmd_bench_search)

    crisis = sub.add_parser("crisis", help="the crisis net")
    crisis_sub = crisis.add_subparsers(dest="crisis_command", required=True, metavar="ACTION")
    crisis_eval = crisis_sub.add_parser(
        "eval", help="recall and false positives: frozen test portion, and cross-validated")
    crisis_eval.add_argument("--folds", type=int, default=5)
    crisis_eval.set_defaults(func=cmd_crisis_eval)

    nlu = sub.add_parser("nlu", help="NLU data utilities")
    nlu_sub = nlu.add_subparsers(dest="nlu_command", required=True, metavar="NLU_COMMAND")
    nlu_sub.add_parser("lookups", help="regenerate data/nlu/lookups/ from the gazetteer") \
        .set_defaults(func=cmd_nlu_lookups)
    nlu_sub.add_parser("eval", help="cross-validated intent and location-entity F1 (make nlu-eval)") \
        .set_defaults(func=cmd_nlu_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not hasattr(args, "seed_dir"):
        args.seed_dir = None
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
