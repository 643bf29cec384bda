"""Signals other domains listen to when accounts change (connected in the factory)."""

from blinker import Namespace

_signals = Namespace()

coaching_requested = _signals.signal("coaching-requested")
coaching_changed = _signals.signal("coaching-changed")
logins_revoked = _signals.signal("logins-revoked")
profile_updated = _signals.signal("profile-updated")
