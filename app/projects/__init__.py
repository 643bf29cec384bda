"""Projects, their members and tasks."""
