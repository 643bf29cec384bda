"""In-app notifications (devices, preferences and delivery channels arrive with the chat issue)."""
