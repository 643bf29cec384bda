# Task scenarios (issue 4): 100,000 tasks in 1,000 projects of 50 members (bench/seed_tasks.py; SEEDERS=tasks).
# Sourced by bench/run.sh (BASE, OUT, ROOT, run_wrk).
if [ -f "$OUT/tasks_token" ]; then
  TASKS_AUTH=(-H "Authorization: Bearer $(cat "$OUT/tasks_token")")
  run_wrk tasks_overdue_mine "$BASE/api/tasks?due=overdue&assignee=me&sort=due_date" "${TASKS_AUTH[@]}"
  cat >"$OUT/task_update.lua" <<LUA
wrk.method = "PUT"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $(cat "$OUT/tasks_token")"
wrk.body = '{"status": "In Progress"}'
LUA
  run_wrk task_update "$BASE/api/tasks/$(cat "$OUT/tasks_task_id")" -s "$OUT/task_update.lua"
else
  echo "tasks scenarios: run with SEEDERS=tasks"
fi
