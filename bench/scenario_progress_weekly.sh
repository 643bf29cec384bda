# progress_weekly: one exercise's weekly series and records over the bench user's 5 years (1M sets; seed_training.py).
# Sourced by bench/run.sh (BASE, AUTH, OUT, run_wrk); needs SEEDERS=training.
if [ -f "$OUT/bench_user_id" ] && [ -f "$OUT/progress_exercise_id" ]; then
  run_wrk progress_weekly \
    "$BASE/api/users/$(cat "$OUT/bench_user_id")/progress/exercises/$(cat "$OUT/progress_exercise_id")?bucket=week" \
    "${AUTH[@]}"
else
  echo "progress_weekly: run with SEEDERS=training (bench/seed_training.py writes the ids it needs)"
fi
