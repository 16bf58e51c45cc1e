"""The weekly auto-post: schedules, the scheduler and its claims, issue sources, and their ports."""
