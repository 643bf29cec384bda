# events_month: one user's calendar for the next 30 days, recurrences expanded (bench/seed_calendar.py:
# 100,000 events, 20% recurring, for 10,000 users; SEEDERS=calendar). Sourced by bench/run.sh.
if [ -f "$OUT/calendar_token" ]; then
  from=$(date -u +%F); to=$(date -u -d "+30 days" +%F)
  run_wrk events_month "$BASE/api/events?from=$from&to=$to" -H "Authorization: Bearer $(cat "$OUT/calendar_token")"
else
  echo "events_month: run with SEEDERS=calendar"
fi
