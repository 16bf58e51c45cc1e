"""Posting an issue: the plan of messages, their platform-neutral shapes, and the journaled poster."""
