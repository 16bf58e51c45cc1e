"""Discord: the client runtime and its cogs, the platform over the REST API, embeds."""
