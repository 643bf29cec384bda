# stats: the bench user's dashboard (this week vs last, streaks, records of 30 days, measurements) over 1M sets.
# Sourced by bench/run.sh (BASE, AUTH, OUT, run_wrk); needs SEEDERS=training.
if [ -f "$OUT/bench_user_id" ]; then
  run_wrk stats "$BASE/api/users/$(cat "$OUT/bench_user_id")/stats" "${AUTH[@]}"
else
  echo "stats: run with SEEDERS=training (bench/seed_training.py writes the bench user's id)"
fi
