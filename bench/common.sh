# Shared by the HTTP bench scripts (sourced): paths, the production-style environment of the stack under
# test, the bench database, and process/port helpers. Env: VENV, BENCH_DATABASE_URL, BENCH_REDIS_URL, LOG_LEVEL.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
OUT="$ROOT/bench/out"
mkdir -p "$OUT"

export SPOTTER_ENV=production
export DATABASE_URL="${BENCH_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/spotter_bench}"
export REDIS_URL="${BENCH_REDIS_URL:-redis://127.0.0.1:6379/11}"
export SECRET_KEY=bench-secret JWT_SECRET_KEY=bench-jwt-secret-of-at-least-32-bytes
export RATELIMIT_ENABLED=false LOG_LEVEL="${LOG_LEVEL:-WARNING}"
export FORCE_HTTPS=false  # the bench talks plain HTTP on loopback, with no TLS-terminating proxy in front

source "$ROOT/bench/wrk_check.sh"  # all_2xx
# The gunicorn tuning both sides of a comparison get (the worker class and count, and gunicorn_web.py's hooks:
# the pool opened before traffic for Spotter, gc.freeze() for any app).
GUNICORN_TUNING=(-c "$ROOT/gunicorn_web.py" -w 2 -k sync --log-level warning)

need_wrk() { command -v wrk >/dev/null || bash "$ROOT/requirements/system-packages.sh" "$ROOT/requirements/apt-bench.txt" || exit 1; }
ensure_db() { # name
  psql -h 127.0.0.1 -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname='$1'" | grep -q 1 \
    || createdb -h 127.0.0.1 -U postgres "$1"
}
ensure_db "${DATABASE_URL##*/}"

PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done; }
trap cleanup EXIT

wait_port() {
  for _ in $(seq 1 150); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "port $1 never opened" >&2; return 1
}
