# Library scenarios (issue 3): 2,000 exercises, 5,000 workouts of 8 items (bench/seed_library.py; SEEDERS=library).
# Sourced by bench/run.sh (BASE, AUTH, OUT, run_wrk). The exercise list is cached in Redis (Flask-Caching):
# with CACHE_TYPE=NullCache in the environment the same scenarios run uncached.
run_wrk exercises_filtered "$BASE/api/exercises?category=Strength&difficulty_level=Intermediate&page_size=20" "${AUTH[@]}"
run_wrk exercises_search "$BASE/api/exercises?q=press" "${AUTH[@]}"
if [ -f "$OUT/public_workout_id" ]; then
  run_wrk workout_detail "$BASE/api/workouts/$(cat "$OUT/public_workout_id")" "${AUTH[@]}"
fi
run_wrk workouts_list "$BASE/api/workouts" "${AUTH[@]}"
