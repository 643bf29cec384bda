"""Calendar: events and their recurrences, plan assignments, reminders, the iCalendar feed and external sync."""
