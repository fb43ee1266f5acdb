"""bot/serve.py and bot/launch.py keep the engine's secrets off its command line and out of its
log lines (run in the engine venv, where they run). The real engine is checked in
tests/integration/test_run_supervised.py."""

from __future__ import annotations

import json
import textwrap

from tests.bot.test_engine_patches import run_in_engine_venv

CHECK = textwrap.dedent("""
    import io, json, logging, os, sys, tempfile
    from pathlib import Path

    os.environ.update({"RASA_TOKEN": "rasa-token-secret-1",
                       "RASA_TRACKER_DB": "postgresql://nav:tracker-secret-2@127.0.0.1/rasa",
                       "REDIS_URL": "redis://:redis-secret-3@127.0.0.1:6379/0",
                       "NAVIGATOR_PROFILE": "prod"})
    import bot.launch as launch
    from bot import serve

    # bot.launch execs bot.serve without the token on its command line.
    model = Path(tempfile.mkdtemp()) / "nav-test.tar.gz"
    model.write_bytes(b"")
    launch.model_path = lambda: model
    seen = {}
    launch._exec = lambda args, env=None, patched=False: seen.update(args=args, env=env)
    launch.run(["--port", "5999"])
    argv = serve.rasa_argv(seen["args"], seen["env"])

    # Every handler's lines are redacted, whatever its formatter.
    serve.redact_every_log_line(serve.secret_values(seen["env"]))
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s %(request)s"))
    log = logging.getLogger("sanic.access")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.info("", extra={"request": "GET http://127.0.0.1:5999/status?token=rasa-token-secret-1"})
    log.info("lock store redis-secret-3, tracker %s", seen["env"]["TRACKER_DB_PASSWORD"],
             extra={"request": "-"})
    print(json.dumps({"exec_args": seen["args"], "rasa_argv": argv,
                      "log": stream.getvalue()}))
""")


def test_the_token_is_added_inside_the_process_and_every_log_line_is_redacted():
    result = run_in_engine_venv("-c", CHECK)
    assert "rasa-token-secret-1" not in json.dumps(result["exec_args"])  # the command line
    assert result["exec_args"][:2] == ["run", "--enable-api"]
    argv = result["rasa_argv"]
    assert argv[argv.index("--auth-token") + 1] == "rasa-token-secret-1"  # Rasa's own argv
    log = result["log"]
    for secret in ("rasa-token-secret-1", "tracker-secret-2", "redis-secret-3"):
        assert secret not in log
    assert log.count("[redacted]") == 3, log
