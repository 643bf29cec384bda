"""Signals other domains listen to when training logs change (connected in the factory)."""

from blinker import Namespace

_signals = Namespace()

# sender: None; session: the TrainingSession just logged (flushed, sets and roll-ups in place).
session_logged = _signals.signal("session-logged")
# sender: None; session, records: the personal records the session set as of now (replacing earlier ones).
records_found = _signals.signal("records-found")
# sender: a trainer's id; client_ids: clients on the trainer's dashboard. Each receiver returns figures by client
# id, the dashboard's plan adherence (calendar's `adherence_by_client`): training never imports calendar.
adherence_asked = _signals.signal("adherence-asked")
