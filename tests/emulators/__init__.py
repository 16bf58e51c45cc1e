"""Local emulators of external services (Slack, ...) for end-to-end tests and benchmarks."""
