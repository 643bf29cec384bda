#!/usr/bin/env bash
# The feed bench (issue 17): 10,000 users, 1,000,000 activities, the bench user following 500 of them
# (bench/seed_social.py, which also fills the feed's candidates, `feed_entries`, as fan-out on write makes
# them). Spotter and the shared reference's raw psycopg list run side by side with the same gunicorn tuning
# (common.sh: GUNICORN_TUNING, -w 2 sync); 16 concurrent clients (wrk -t2 -c16). Uncached: the feed has no
# response cache (its statement runs on every request). It prints, for the first feed page of 20:
#   1. latency (p50/p99) and req/s of one DUR-long run of each, measured back to back;
#   2. ROUNDS alternating short bursts, feed vs raw list, and the median of the per-round ratios.
# Any answer that is not 2xx fails the bench (wrk_check.sh).
#   bash bench/social_bench.sh            (env: ROUNDS=6 DUR=10s BURST=4s PORT=18950)
# Run it under the CPU lock on this shared machine: flock /tmp/spotter-cpu.lock bash bench/social_bench.sh
set -uo pipefail
export BENCH_DATABASE_URL="${BENCH_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/spotter_bench_social}"
export BENCH_REDIS_URL="${BENCH_REDIS_URL:-redis://127.0.0.1:6379/3}"
source "$(dirname "$0")/common.sh"
need_wrk
REF="${REF:-$ROOT/../shared/bench}"  # the shared reference app
ROUNDS="${ROUNDS:-6}"
DUR="${DUR:-10s}"
BURST="${BURST:-4s}"
PORT="${PORT:-18950}"
REF_PORT=$((PORT + 1))
export BENCH_PG_DSN=postgresql://postgres@127.0.0.1:5432/bench_limit BENCH_POOL_MAX=2

"$PY" "$ROOT/bench/prepare.py" --with social --token-file "$OUT/social_token" >/dev/null 2>&1 || { echo "prepare failed"; exit 1; }
ensure_db bench_limit
(cd "$REF" && "$PY" limit_app.py seed >/dev/null) || exit 1

(cd "$ROOT" && exec timeout 900 "$VENV/bin/gunicorn" "${GUNICORN_TUNING[@]}" -b "127.0.0.1:$PORT" \
  wsgi:app >"$OUT/social-spotter.log" 2>&1) &
PIDS+=($!)
(cd "$REF" && exec timeout 900 "$VENV/bin/gunicorn" "${GUNICORN_TUNING[@]}" -b "127.0.0.1:$REF_PORT" \
  limit_app:app >"$OUT/social-ref.log" 2>&1) &
PIDS+=($!)
wait_port "$PORT" && wait_port "$REF_PORT" || exit 1

FEED="http://127.0.0.1:$PORT/api/feed?limit=20"
RAW="http://127.0.0.1:$REF_PORT/raw/exercises?limit=20&category=cardio"
AUTH=(-H "Authorization: Bearer $(cat "$OUT/social_token")")
curl -sf "${AUTH[@]}" "$FEED" | "$PY" -c 'import json,sys; page=json.load(sys.stdin); assert len(page) == 20, page' \
  || { echo "the feed did not answer a page of 20"; exit 1; }

echo "# feed bench $(date -u +%FT%TZ) on $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
timeout 20 wrk -t2 -c16 -d2s "${AUTH[@]}" "$FEED" >/dev/null 2>&1   # warm-up
timeout 20 wrk -t2 -c16 -d2s "$RAW" >/dev/null 2>&1
latency() { # label url [wrk args...]; fails when any answer was not 2xx
  local label="$1" url="$2"; shift 2
  local out; out="$(mktemp "$OUT/social-run.XXXXXX")"
  timeout 60 wrk -t2 -c16 -d"$DUR" --latency "$@" "$url" >"$out" 2>&1
  all_2xx "$out" "$label" || { rm -f "$out"; return 1; }
  awk -v l="$label" '/^Requests\/sec:/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
    END {printf "%-10s %9s req/s  p50 %8s  p99 %8s\n", l, rps, p50, p99}' "$out"
  rm -f "$out"
}
latency feed "$FEED" "${AUTH[@]}" || exit 1
latency raw "$RAW" || exit 1

rps() { # url [wrk args...] -> requests/s of one burst; fails when any answer was not 2xx
  local url="$1"; shift
  local out; out="$(mktemp "$OUT/social-burst.XXXXXX")"
  timeout 60 wrk -t2 -c16 -d"$BURST" "$@" "$url" >"$out" 2>&1
  all_2xx "$out" "$url" || { rm -f "$out"; return 1; }
  awk '/^Requests\/sec:/ {print $2}' "$out"
  rm -f "$out"
}
ratios=()
for round in $(seq 1 "$ROUNDS"); do
  ours="$(rps "$FEED" "${AUTH[@]}")" || exit 1
  raw="$(rps "$RAW")" || exit 1
  ratio="$(awk -v a="$ours" -v b="$raw" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
  ratios+=("$ratio")
  printf "round %d: feed %9s req/s vs raw %9s req/s  ratio %s\n" "$round" "$ours" "$raw" "$ratio"
done
printf "median ratio %s (min %s, max %s)\n" \
  "$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')" \
  "$(printf '%s\n' "${ratios[@]}" | sort -n | head -1)" "$(printf '%s\n' "${ratios[@]}" | sort -n | tail -1)"
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
grep -q Traceback "$OUT/social-spotter.log" && echo "(tracebacks in $OUT/social-spotter.log)"
exit 0
