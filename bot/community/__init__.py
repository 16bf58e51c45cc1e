"""The community loop: votes, suggestions and their triage, leaderboards, weekly results, the next draft."""
