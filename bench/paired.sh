#!/usr/bin/env bash
# Paired bench: Spotter and the shared reference's raw psycopg list served side by side (both gunicorn -w 2
# sync with the same tuning), measured in alternating short wrk bursts (any answer that is not 2xx fails it), so both see the same machine. Noise on this shared 2-core
# machine moves a single 10 s figure by +-50%; the median of per-round ratios is what to quote.
#
#   bash bench/paired.sh                                     # the cached exercise list vs the raw list
#   ROUNDS=8 DUR=4s bash bench/paired.sh exercises_filtered tasks_overdue_mine progress_weekly
#   CACHE_TYPE=NullCache bash bench/paired.sh exercises_filtered    # the uncached list
#   bash bench/paired.sh ping                                 # our /healthz against the reference's bare ping
#   CACHE_TYPE=NullCache SEEDERS=library,training,chat,sessions bash bench/paired.sh workouts plans sessions \
#     sessions_heavy conversations    # nested lists, each against the reference's raw workouts page
#   (sessions: 20 sessions x 8 sets, the raw page's shape; sessions_heavy: 20 x 138 sets, 17x its rows)
# Needs the bench database prepared by bench/run.sh (SEEDERS=library,tasks,training) and wrk.
set -uo pipefail
source "$(dirname "$0")/common.sh"
need_wrk
REF="$ROOT/../shared/bench"
ROUNDS="${ROUNDS:-6}"
DUR="${DUR:-4s}"
CONC="${CONC:-16}"
PORT="${PORT:-18930}"
REF_PORT=$((PORT + 1))
SCENARIOS=("${@:-exercises_filtered}")
export BENCH_PG_DSN=postgresql://postgres@127.0.0.1:5432/bench_limit BENCH_POOL_MAX=2

rps() { # url [wrk args...] -> requests/s of one burst; fails (loudly) when any answer was not 2xx
  local url="$1"; shift
  local out; out="$(mktemp "$OUT/paired-burst.XXXXXX")"
  timeout 60 wrk -t2 -c"$CONC" -d"$DUR" "$@" "$url" >"$out" 2>&1
  all_2xx "$out" "$url" || { rm -f "$out"; return 1; }
  awk '/^Requests\/sec:/ {print $2}' "$out"
  rm -f "$out"
}

"$VENV/bin/python" "$ROOT/bench/prepare.py" --with "${SEEDERS:-tasks}" >/dev/null 2>&1 || exit 1
ensure_db bench_limit
(cd "$REF" && "$VENV/bin/python" limit_app.py seed >/dev/null) || exit 1

# Both sides: the same gunicorn tuning (common.sh: GUNICORN_TUNING).
(cd "$ROOT" && exec timeout 900 "$VENV/bin/gunicorn" "${GUNICORN_TUNING[@]}" -b "127.0.0.1:$PORT" \
  wsgi:app >"$OUT/paired-spotter.log" 2>&1) &
PIDS+=($!)
(cd "$REF" && exec timeout 900 "$VENV/bin/gunicorn" "${GUNICORN_TUNING[@]}" -b "127.0.0.1:$REF_PORT" \
  limit_app:app >"$OUT/paired-ref.log" 2>&1) &
PIDS+=($!)
wait_port "$PORT" && wait_port "$REF_PORT" || exit 1

BASE="http://127.0.0.1:$PORT"
RAW="http://127.0.0.1:$REF_PORT/raw/exercises?limit=20&category=cardio"
RAW_PING="http://127.0.0.1:$REF_PORT/raw/ping"
RAW_NESTED="http://127.0.0.1:$REF_PORT/raw/workouts?limit=20"
AUTH=(-H "Authorization: Bearer $(cat "$OUT/token")")
TASKS_AUTH=(-H "Authorization: Bearer $(cat "$OUT/tasks_token" 2>/dev/null)")
SESSIONS_AUTH=(-H "Authorization: Bearer $(cat "$OUT/sessions_token" 2>/dev/null)")
url_of() {
  case "$1" in
    exercises_filtered) echo "$BASE/api/exercises?category=Strength&difficulty_level=Intermediate&page_size=20" ;;
    exercises_search) echo "$BASE/api/exercises?q=press" ;;
    tasks_overdue_mine) echo "$BASE/api/tasks?due=overdue&assignee=me&sort=due_date" ;;
    progress_weekly) echo "$BASE/api/users/$(cat "$OUT/bench_user_id")/progress/exercises/$(cat "$OUT/progress_exercise_id")?bucket=week" ;;
    stats) echo "$BASE/api/users/$(cat "$OUT/bench_user_id")/stats" ;;
    ping) echo "$BASE/healthz" ;;
    workouts) echo "$BASE/api/workouts?page_size=20" ;;
    plans) echo "$BASE/api/plans?page_size=20" ;;
    sessions | sessions_heavy) echo "$BASE/api/sessions?page_size=20" ;;
    conversations) echo "$BASE/api/conversations" ;;
    *) echo "unknown scenario $1" >&2; return 1 ;;
  esac
}
auth_of() { # whose token: the tasks seeder's user, the sessions seeder's athlete (20 x 8 sets), or the bench user
  case "$1" in tasks_overdue_mine) echo tasks ;; sessions) echo sessions ;; *) echo main ;; esac
}
raw_of() { # the reference's equivalent shape: nested lists against its raw workouts page, flat ones its raw list
  case "$1" in
    ping) echo "$RAW_PING" ;;
    workouts | plans | sessions | sessions_heavy | conversations) echo "$RAW_NESTED" ;;
    *) echo "$RAW" ;;
  esac
}

echo "# paired bench $(date -u +%FT%TZ) on $(nproc) cores: $ROUNDS rounds of wrk -t2 -c$CONC -d$DUR, alternating;" \
  "CACHE_TYPE=${CACHE_TYPE:-RedisCache}"
timeout 20 wrk -t2 -c"$CONC" -d2s "$RAW" >/dev/null 2>&1
for s in "${SCENARIOS[@]}"; do
  url="$(url_of "$s")" || continue
  case "$(auth_of "$s")" in
    tasks) hdr=("${TASKS_AUTH[@]}") ;;
    sessions) hdr=("${SESSIONS_AUTH[@]}") ;;
    *) hdr=("${AUTH[@]}") ;;
  esac
  timeout 20 wrk -t2 -c"$CONC" -d2s "${hdr[@]}" "$url" >/dev/null 2>&1  # warm-up (fills the cache)
  ratios=()
  for round in $(seq 1 "$ROUNDS"); do
    ours="$(rps "$url" "${hdr[@]}")" || exit 1
    raw="$(rps "$(raw_of "$s")")" || exit 1
    ratio="$(awk -v a="$ours" -v b="$raw" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
    ratios+=("$ratio")
    printf "%-20s round %d: %9s req/s vs raw %9s req/s  ratio %s\n" "$s" "$round" "$ours" "$raw" "$ratio"
  done
  printf "%-20s median ratio %s (min %s, max %s)\n" "$s" \
    "$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')" \
    "$(printf '%s\n' "${ratios[@]}" | sort -n | head -1)" "$(printf '%s\n' "${ratios[@]}" | sort -n | tail -1)"
done
grep -q Traceback "$OUT/paired-spotter.log" && echo "(tracebacks in $OUT/paired-spotter.log)"
exit 0
