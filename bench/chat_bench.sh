#!/usr/bin/env bash
# Chat delivery bench: two Spotter web processes (gunicorn -k gthread -w 1 --threads 100) joined by Redis,
# 200 python-socketio clients in 100 pairs, one message per client per second for DUR seconds, each message
# acknowledged by a read receipt; then the same load on two bare relays (../shared/bench/sio/sio_server.py)
# in the same run. Prints delivery / ack / receipt latency p50/p99 and delivered msgs/s for both.
#
#   bash bench/chat_bench.sh                  # DUR=20 PAIRS=100 PROCS=2 THREADS=100
#   DUR=10 RELAY=0 bash bench/chat_bench.sh   # shorter, Spotter only
# Env: BENCH_DATABASE_URL, BENCH_REDIS_URL, DUR, PAIRS, PROCS (client processes), THREADS, PORT.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
PORT="${PORT:-18950}"
THREADS="${THREADS:-100}"
export DUR="${DUR:-20}" PAIRS="${PAIRS:-100}" PROCS="${PROCS:-2}"
OUT="$ROOT/bench/out"
mkdir -p "$OUT"

export SPOTTER_ENV=production
export DATABASE_URL="${BENCH_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/spotter_bench}"
export REDIS_URL="${BENCH_REDIS_URL:-redis://127.0.0.1:6379/11}"
export SECRET_KEY=bench-secret JWT_SECRET_KEY=bench-jwt-secret-of-at-least-32-bytes
export RATELIMIT_ENABLED=false LOG_LEVEL="${LOG_LEVEL:-WARNING}"
export SOCKETIO_CHANNEL="spotter-chat-bench-$$"
export JWT_ACCESS_TOKEN_EXPIRES=3600

db_name="${DATABASE_URL##*/}"
psql -h 127.0.0.1 -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname='$db_name'" | grep -q 1 \
  || createdb -h 127.0.0.1 -U postgres "$db_name"

PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
  PIDS=()
}
port_free() { ! (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
trap cleanup EXIT

wait_port() {
  for _ in $(seq 1 150); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "port $1 never opened" >&2; return 1
}

echo "# chat bench $(date -u +%FT%TZ) on $(nproc) cores: $((PAIRS * 2)) clients in $PAIRS pairs, 1 msg/s each," \
  "${DUR}s; 2 x gunicorn -k gthread -w 1 --threads $THREADS + Redis queue; clients in $PROCS processes"
"$PY" "$ROOT/bench/prepare.py" >/dev/null || exit 1
"$PY" "$ROOT/bench/chat_bench.py" seed --pairs "$PAIRS" || exit 1

PA=$PORT PB=$((PORT + 1))
for port in $PA $PB $((PORT + 2)) $((PORT + 3)); do
  port_free "$port" || { echo "port $port is busy (a previous run still alive?)"; exit 1; }
done
for port in $PA $PB; do
  # No subshell: $! must be `timeout` itself, which passes our TERM on to gunicorn.
  timeout $((DUR + 300)) "$VENV/bin/gunicorn" -k gthread -w 1 --threads "$THREADS" --chdir "$ROOT" \
    -b "127.0.0.1:$port" --log-level warning wsgi:app >"$OUT/chat-gunicorn-$port.log" 2>&1 &
  PIDS+=($!)
done
wait_port "$PA" && wait_port "$PB" || { cat "$OUT"/chat-gunicorn-*.log; exit 1; }
timeout $((DUR + 180)) "$PY" "$ROOT/bench/chat_bench.py" run spotter "http://127.0.0.1:$PA" "http://127.0.0.1:$PB" \
  --label "spotter, 2 servers via redis"
grep -q Traceback "$OUT"/chat-gunicorn-*.log && echo "(tracebacks in $OUT/chat-gunicorn-*.log)"
cleanup

REF="$ROOT/../shared/bench/sio"
if [ "${RELAY:-1}" = 1 ] && [ -f "$REF/sio_server.py" ]; then
  RA=$((PORT + 2)) RB=$((PORT + 3))
  for port in $RA $RB; do
    SIO_MQ="$REDIS_URL" SIO_ASYNC_MODE=threading timeout $((DUR + 300)) "$VENV/bin/gunicorn" -k gthread -w 1 \
      --threads "$THREADS" -b "127.0.0.1:$port" --log-level warning --chdir "$REF" sio_server:app \
      >"$OUT/chat-relay-$port.log" 2>&1 &
    PIDS+=($!)
  done
  wait_port "$RA" && wait_port "$RB" || { cat "$OUT"/chat-relay-*.log; exit 1; }
  timeout $((DUR + 180)) "$PY" "$ROOT/bench/chat_bench.py" run relay "http://127.0.0.1:$RA" "http://127.0.0.1:$RB" \
    --label "bare relay, 2 servers via redis"
  cleanup
fi
