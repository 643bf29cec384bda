"""Operations: health and readiness, the beat heartbeat, metrics, API docs assets."""
