"""Training logs: sessions with their sets, body measurements, progress analytics and dashboards."""
