"""The console channel: the whole bot in a terminal, a real adapter like the others."""
