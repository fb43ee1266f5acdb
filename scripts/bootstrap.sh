#!/usr/bin/env bash
# Creates whatever is missing for this checkout, from nothing, on Debian 12 + Python 3.11:
#   system packages (apt), .venv (our code) and .venv-engine (Rasa 3.6.21), each from its lock file.
# A venv is rebuilt only when its lock file (or pyproject.toml) changed: the hash is kept in a stamp.
# Usage: scripts/bootstrap.sh [system|app|engine|all]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
LOG_DIR="var/log"; mkdir -p "$LOG_DIR"
export PIP_DISABLE_PIP_VERSION_CHECK=1 RASA_TELEMETRY_ENABLED=false

say() { printf '[setup] %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }

# Debian packages this project needs; later issues append to this list (postgresql, redis, chromium).
APT_PACKAGES=(python3-venv python3-dev build-essential git curl postgresql redis-server chromium)

system_deps() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  # A Python that can already make venvs (e.g. pyenv, python.org builds) does not need python3-venv.
  if "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
    missing=("${missing[@]/python3-venv}"); missing=("${missing[@]/python3-dev}")
  fi
  command -v gcc >/dev/null && missing=("${missing[@]/build-essential}")
  command -v git >/dev/null && missing=("${missing[@]/git}")
  command -v curl >/dev/null && missing=("${missing[@]/curl}")
  # The tests run their own throwaway server (tests/postgres.py): any initdb + pg_ctl will do.
  compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null && missing=("${missing[@]/postgresql}")
  # Redis (prod profile tests: tests/redis.py starts its own redis-server, never the service).
  command -v redis-server >/dev/null && missing=("${missing[@]/redis-server}")
  # Browser tests drive Debian's Chromium with Playwright (its own browser download fails here).
  command -v chromium >/dev/null && missing=("${missing[@]/chromium}")
  local todo=(); for p in "${missing[@]}"; do [ -n "$p" ] && todo+=("$p"); done
  if [ ${#todo[@]} -eq 0 ]; then return 0; fi
  if ! command -v apt-get >/dev/null; then say "please install: ${todo[*]}"; exit 1; fi
  say "installing Debian packages: ${todo[*]}"
  # We never use Debian's own "main" cluster or its service. Without a running systemd (containers,
  # CI), block service starts during the install so a failing init script cannot fail it; a
  # policy-rc.d already present (Docker images have one that blocks everything) is left alone.
  local policy=/usr/sbin/policy-rc.d added_policy="" status=0
  if [ ! -d /run/systemd/system ] && [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null && as_root chmod 755 "$policy"
    added_policy=1
  fi
  as_root apt-get update -qq >"$LOG_DIR/apt.log" 2>&1 || status=$?
  [ "$status" = 0 ] && { DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${todo[@]}" \
    >>"$LOG_DIR/apt.log" 2>&1 || status=$?; }
  [ -n "$added_policy" ] && as_root rm -f "$policy"
  if [ "$status" != 0 ]; then tail -20 "$LOG_DIR/apt.log"; exit 1; fi
}

stamp_of() { cat "$@" | sha256sum | cut -c1-16; }

# make_venv DIR LOCK LABEL PIP_ARGS...   (rebuilt when the lock changes)
make_venv() {
  local dir="$1" lock="$2" label="$3"; shift 3
  local want; want="$(stamp_of "$lock")"
  if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$want" ]; then return 0; fi
  local n; n=$(grep -cvE '^\s*(#|$)' "$lock")
  local log="$LOG_DIR/setup-$(basename "$dir").log" start=$SECONDS
  say "$label: creating $dir with $n locked packages (log: $log)"
  rm -rf "$dir"
  "$PYTHON" -m venv "$dir"
  # pip prints one 'Collecting'/'Installing' line per package; count them as progress.
  local status=0
  "$dir/bin/pip" install "$@" -r "$lock" >"$log" 2>&1 &
  local pid=$!
  # pip prints one 'Collecting' line per package: report progress from its log while it runs.
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    local got; got=$(grep -cE '^(Collecting|Processing)' "$log" || true); [ "$got" -gt "$n" ] && got=$n
    say "$label: $got/$n packages fetched, $((SECONDS - start)) s"
  done
  wait "$pid" || status=$?
  if [ "$status" != 0 ]; then
    say "$label: pip failed; last lines of $log:"; tail -25 "$log"; exit 1
  fi
  echo "$want" > "$dir/.stamp"
  say "$label: ready in $((SECONDS - start)) s"
}

app_venv() {
  make_venv .venv requirements/app.lock "app env"
  # Our own package (editable, for the `navigator` script); cheap, so always refreshed.
  .venv/bin/pip install -q --no-deps --no-build-isolation -e . >>"$LOG_DIR/setup-.venv.log" 2>&1 \
    || { tail -20 "$LOG_DIR/setup-.venv.log"; exit 1; }
}

engine_venv() {
  # --no-deps: the lock is the complete set; rasa 3.6's own metadata would refuse Python 3.11.
  make_venv .venv-engine requirements/engine.lock "engine env" --no-deps --ignore-requires-python
}

case "${1:-all}" in
  system) system_deps ;;
  app) system_deps; app_venv ;;
  engine) system_deps; engine_venv ;;
  all) system_deps; app_venv; engine_venv ;;
  *) echo "usage: $0 [system|app|engine|all]"; exit 2 ;;
esac
