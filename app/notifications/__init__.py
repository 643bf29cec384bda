"""Notifications: in-app rows and the socket event, devices, preferences, email and push delivery."""
