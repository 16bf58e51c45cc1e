"""What the bot fetches or sends on its own: link titles, feed polling, and the pacing of requests."""
