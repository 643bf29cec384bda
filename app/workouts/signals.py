"""Signals through which other domains widen who sees workouts and plans (connected in the factory)."""

from blinker import Namespace

_signals = Namespace()

# sender: the Workout or Plan model; user_id. Each receiver returns SQL saying the row was given to that user
# (calendar: a plan assignment makes the plan and its workouts visible to the client it was assigned to).
assigned_clause = _signals.signal("assigned-clause")
