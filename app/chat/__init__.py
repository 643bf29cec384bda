"""Chat: direct messages between users, blocks, unread counts and the unread-message digest."""
