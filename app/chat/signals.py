"""Signals other domains listen to when chat's relations change (connected in the factory)."""

from blinker import Namespace

_signals = Namespace()

# sender: None; blocker_id, blocked_id: a block now stands between the two (sent on every block, idempotent).
user_blocked = _signals.signal("user-blocked")
