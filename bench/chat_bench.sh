#!/usr/bin/env bash
# Chat delivery bench: two Spotter web processes as the Procfile runs them (gunicorn -k gevent -w 1) joined by
# Redis, 200 python-socketio asyncio clients in 100 pairs, one message per client per second for DUR seconds
# (after WARMUP_S seconds of the same load, not counted), each message acknowledged by a read receipt; then
# the same load on two bare relays (../shared/bench/sio/sio_server.py, same worker class) in the same run. Prints delivery / ack / receipt latency p50/p99, delivered
# msgs/s and the CPU the servers, PostgreSQL and Redis used while the clients were sending, for both.
#
#   bash bench/chat_bench.sh                  # DUR=20 PAIRS=100 PROCS=2 WORKER=gevent
#   DUR=10 RELAY=0 bash bench/chat_bench.sh   # shorter, Spotter only
#   WORKER=gthread THREADS=100 bash bench/chat_bench.sh   # threads, as `make run` serves Socket.IO
# Env: BENCH_DATABASE_URL, BENCH_REDIS_URL, DUR, WARMUP_S, PAIRS, PROCS (client processes), WORKER, THREADS, PORT,
# GUNICORN_CONFIG.
set -uo pipefail
source "$(dirname "$0")/common.sh"
PORT="${PORT:-18950}"
THREADS="${THREADS:-100}"
WORKER="${WORKER:-gevent}"
CONFIG="${GUNICORN_CONFIG:-$ROOT/gunicorn_web.py}"  # another config (e.g. one that profiles) for both sides
case "$WORKER" in
  gthread) WORKER_ARGS=(-c "$CONFIG" -k gthread -w 1 --threads "$THREADS") ;;
  gevent) WORKER_ARGS=(-c "$CONFIG" -k gevent -w 1 --worker-connections 1000) ;;
  *) echo "WORKER is gthread or gevent" >&2; exit 2 ;;
esac
RELAY_MODE=$([ "$WORKER" = gevent ] && echo gevent || echo threading)
export DUR="${DUR:-20}" PAIRS="${PAIRS:-100}" PROCS="${PROCS:-2}"
# The Procfile's web process: a fixed pool that greenlets wait for (overflow connections opened and closed
# under bursts cost PostgreSQL a backend each: 350 in a 10 s run).
export DB_POOL_SIZE="${DB_POOL_SIZE:-20}" DB_MAX_OVERFLOW="${DB_MAX_OVERFLOW:-0}"
export SOCKETIO_CHANNEL="spotter-chat-bench-$$"
export JWT_ACCESS_TOKEN_EXPIRES=3600

cleanup() { # (replaces common.sh's: also waits, so the relay's ports are free for its turn)
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
  PIDS=()
}
port_free() { ! (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }

echo "# chat bench $(date -u +%FT%TZ) on $(nproc) cores: $((PAIRS * 2)) clients in $PAIRS pairs, 1 msg/s each," \
  "${DUR}s after ${WARMUP_S:-3}s of warm-up; 2 x gunicorn ${WORKER_ARGS[*]} + Redis queue; clients in $PROCS processes"
"$PY" "$ROOT/bench/prepare.py" --token-file "$OUT/chat-prepare-token" >/dev/null || exit 1  # not the HTTP benches' token
"$PY" "$ROOT/bench/chat_bench.py" seed --pairs "$PAIRS" || exit 1

PA=$PORT PB=$((PORT + 1))
for port in $PA $PB $((PORT + 2)) $((PORT + 3)); do
  port_free "$port" || { echo "port $port is busy (a previous run still alive?)"; exit 1; }
done
for port in $PA $PB; do
  # No subshell: $! must be `timeout` itself, which passes our TERM on to gunicorn.
  timeout $((DUR + 300)) "$VENV/bin/gunicorn" "${WORKER_ARGS[@]}" --chdir "$ROOT" \
    -b "127.0.0.1:$port" --log-level warning wsgi:app >"$OUT/chat-gunicorn-$port.log" 2>&1 &
  PIDS+=($!)
done
wait_port "$PA" && wait_port "$PB" || { cat "$OUT"/chat-gunicorn-*.log; exit 1; }
SERVER_PIDS="${PIDS[*]}" timeout $((DUR + 180)) "$PY" "$ROOT/bench/chat_bench.py" run spotter \
  "http://127.0.0.1:$PA" "http://127.0.0.1:$PB" --label "spotter, 2 servers via redis"
grep -q Traceback "$OUT"/chat-gunicorn-*.log && echo "(tracebacks in $OUT/chat-gunicorn-*.log)"
cleanup

REF="$ROOT/../shared/bench/sio"
if [ "${RELAY:-1}" = 1 ] && [ -f "$REF/sio_server.py" ]; then
  RA=$((PORT + 2)) RB=$((PORT + 3))
  for port in $RA $RB; do
    SIO_MQ="$REDIS_URL" SIO_ASYNC_MODE=$RELAY_MODE timeout $((DUR + 300)) "$VENV/bin/gunicorn" "${WORKER_ARGS[@]}" \
      -b "127.0.0.1:$port" --log-level warning --chdir "$REF" sio_server:app \
      >"$OUT/chat-relay-$port.log" 2>&1 &
    PIDS+=($!)
  done
  wait_port "$RA" && wait_port "$RB" || { cat "$OUT"/chat-relay-*.log; exit 1; }
  SERVER_PIDS="${PIDS[*]}" timeout $((DUR + 180)) "$PY" "$ROOT/bench/chat_bench.py" run relay \
    "http://127.0.0.1:$RA" "http://127.0.0.1:$RB" --label "bare relay, 2 servers via redis"
  cleanup
fi
