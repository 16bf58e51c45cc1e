"""The bot's web server: ``/healthz``, ``/metrics``, and the aiohttp app other routes mount on."""
