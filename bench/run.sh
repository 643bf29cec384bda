#!/usr/bin/env bash
# Spotter bench: the production-style stack (gunicorn on PostgreSQL and Redis, loopback only), a bounded wrk
# load per named scenario, requests/s and p50/p99 printed per scenario; then, in the same run, the
# "physical limit" reference (../shared/bench) for ratios.
#
#   bash bench/run.sh                          # every scenario, then the reference
#   SCENARIOS="users_me" DUR=5s bash bench/run.sh
#   REFERENCE=0 bash bench/run.sh              # skip the reference
# Env: BENCH_DATABASE_URL, BENCH_REDIS_URL, DUR (10s), WARMUP (2s per scenario, not counted), CONC (16), WORKERS (2),
# WORKER_CLASS (sync|gthread), PORT.
set -uo pipefail
source "$(dirname "$0")/common.sh"
need_wrk
DUR="${DUR:-10s}"
CONC="${CONC:-16}"
PORT="${PORT:-18900}"
WORKERS="${WORKERS:-2}"
WORKER_CLASS="${WORKER_CLASS:-sync}"
SCENARIOS="${SCENARIOS:-users_me login}"
SEEDERS="${SEEDERS:-}"

run_wrk() { # label url [wrk args...]
  local label="$1" url="$2"; shift 2
  local out="$OUT/wrk-$label.txt"
  # Warm-up on the same URL first (each worker's first compile, prepared statements, cache fill), not counted.
  timeout 30 wrk -t2 -c"$CONC" -d"${WARMUP:-2s}" "$@" "$url" >/dev/null 2>&1
  timeout 120 wrk -t2 -c"$CONC" -d"$DUR" --timeout 10s --latency "$@" "$url" >"$out" 2>&1
  all_2xx "$out" "$label" || exit 1
  local rps p50 p99
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
  p50=$(awk '$1=="50%" {print $2}' "$out")
  p99=$(awk '$1=="99%" {print $2}' "$out")
  printf "%-28s %9s req/s   p50 %9s   p99 %9s\n" "$label" "${rps:-?}" "${p50:-?}" "${p99:-?}"
  echo "$label $rps" >>"$OUT/rps.txt"
}

echo "# spotter bench $(date -u +%FT%TZ) on $(nproc) cores; wrk -t2 -c$CONC -d$DUR; gunicorn -w $WORKERS -k $WORKER_CLASS"
"$PY" "$ROOT/bench/prepare.py" --with "$SEEDERS" || exit 1
TOKEN="$(cat "$OUT/token")"
: >"$OUT/rps.txt"

threads=()
[ "$WORKER_CLASS" = gthread ] && threads=(--threads 8)
(cd "$ROOT" && exec timeout 900 "$VENV/bin/gunicorn" -c gunicorn_web.py -w "$WORKERS" -k "$WORKER_CLASS" "${threads[@]}" \
  -b "127.0.0.1:$PORT" --log-level warning wsgi:app >"$OUT/gunicorn.log" 2>&1) &
PIDS+=($!)
wait_port "$PORT" || { cat "$OUT/gunicorn.log"; exit 1; }
BASE="http://127.0.0.1:$PORT"
AUTH=(-H "Authorization: Bearer $TOKEN")
timeout 20 wrk -t2 -c"$CONC" -d2s "${AUTH[@]}" "$BASE/api/users/me" >/dev/null 2>&1  # warm-up

for s in $SCENARIOS; do
  case "$s" in
    users_me) run_wrk users_me "$BASE/api/users/me" "${AUTH[@]}" ;;
    login) run_wrk login "$BASE/api/login" -s "$ROOT/bench/login.lua" ;;
    *) if [ -f "$ROOT/bench/scenario_$s.sh" ]; then source "$ROOT/bench/scenario_$s.sh"; else echo "unknown scenario $s"; fi ;;
  esac
done
grep -q Traceback "$OUT/gunicorn.log" && echo "(tracebacks in $OUT/gunicorn.log)"
cleanup; PIDS=()

REF="$ROOT/../shared/bench"
if [ "${REFERENCE:-1}" = 1 ] && [ -f "$REF/run_limit.sh" ]; then
  echo
  echo "# reference (shared/bench, sync workers) in the same run"
  ensure_db bench_limit
  BENCH_PG_DSN=postgresql://postgres@127.0.0.1:5432/bench_limit VENV="$VENV" VARIANTS=sync SKIP_SIO=1 \
    DUR="$DUR" CONC="$CONC" PORT=$((PORT + 10)) OUTDIR="$OUT/ref" bash "$REF/run_limit.sh" | tee "$OUT/ref.txt"
  raw=$(awk '/raw psycopg exercises/ {print $5}' "$OUT/ref.txt")
  ping=$(awk '/ping \(no DB\)/ {print $5}' "$OUT/ref.txt")
  echo
  echo "# ratios against the reference's raw psycopg list ($raw req/s) and bare Flask ping ($ping req/s)"
  while read -r label rps; do
    [ -n "$raw" ] && [ -n "$rps" ] && awk -v l="$label" -v a="$rps" -v b="$raw" -v c="$ping" \
      'BEGIN { printf "%-28s %5.0f%% of raw list, %5.0f%% of ping\n", l, 100*a/b, 100*a/c }'
  done <"$OUT/rps.txt"
fi
