"""Workouts and multi-week training plans."""
