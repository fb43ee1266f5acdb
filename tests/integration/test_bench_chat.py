"""`navigator bench chat` measures real turns against the real processes, without errors."""

from __future__ import annotations

import json

import pytest

from api.bench_chat import JSON_KEYS, SOAK_KEYS, bench_chat

pytestmark = pytest.mark.integration


def test_bench_chat_runs_both_paths_without_errors(system, capsys):
    env = system["env"]
    # The session's api keeps the default limit of 20 messages a minute per sender: each
    # conversation moves to a fresh number before a script would take one past 15 turns.
    summary, gateway, rasa = bench_chat(
        2, 5, system["base"], f"http://127.0.0.1:{env['RASA_PORT']}", env["PUBLIC_BASE_URL"],
        env["TWILIO_AUTH_TOKEN"], env["RASA_TOKEN"], turns_per_sender=15)
    lines = capsys.readouterr().out.strip().splitlines()
    assert gateway.error_count == 0, dict(gateway.errors)
    assert rasa.error_count == 0, dict(rasa.errors)
    assert gateway.turns > 0 and rasa.turns > 0
    last = json.loads(lines[-1])
    assert tuple(last) == JSON_KEYS and set(last) == set(JSON_KEYS)
    assert last == summary
    assert last["conversations"] == 2 and last["errors"] == 0 and last["turns"] > 0


def test_a_paced_soak_keeps_its_rate_and_reports_memory(system, capsys):
    env = system["env"]
    summary, gateway, rasa = bench_chat(
        2, 6, system["base"], f"http://127.0.0.1:{env['RASA_PORT']}", env["PUBLIC_BASE_URL"],
        env["TWILIO_AUTH_TOKEN"], env["RASA_TOKEN"], turns_per_sender=15, rate_per_s=5,
        paths=("gateway",), pids=system["pids"])
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert last == summary and tuple(last) == JSON_KEYS + SOAK_KEYS
    assert gateway.error_count == 0, dict(gateway.errors)
    # 5 turns a second for 6 s: turn k starts at k/5 s, so 30 at most; none were late by much.
    assert 28 <= gateway.turns <= 30
    assert rasa.turns == 0 and last["rasa_direct_p95_ms"] is None  # that path was left out
    assert last["rate_per_s"] == 5
    assert set(last["rss_start_mb"]) == set(last["rss_end_mb"]) == {"engine", "actions", "api"}
    assert last["rss_start_mb"]["engine"] > 200  # a real Rasa engine, children included
    assert set(last["rss_growth_pct"]) == {"engine", "actions", "api"}
