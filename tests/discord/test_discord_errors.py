"""How discord.py and aiohttp failures reach the core: permanent ones stop a post, the rest are retried."""

from __future__ import annotations

from types import SimpleNamespace

import aiohttp
import discord
import pytest

from adapters.discord.client import map_error


def http_error(status: int, code: int = 0, message: str = "nope") -> discord.HTTPException:
    response = SimpleNamespace(status=status, reason="reason")
    kind = {403: discord.Forbidden, 404: discord.NotFound}.get(status, discord.HTTPException)
    if status >= 500:
        kind = discord.DiscordServerError
    return kind(response, {"code": code, "message": message})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (http_error(403, 50013, "Missing Permissions"), True),
        (http_error(403, 50001, "Missing Access"), True),
        (http_error(404, 10003, "Unknown Channel"), True),
        (http_error(401, 0, "401: Unauthorized"), True),
        (http_error(400, 50035, "Invalid Form Body"), True),
        (discord.LoginFailure("Improper token has been passed."), True),
        (http_error(429, 0, "You are being rate limited."), False),
        (http_error(500), False),
        (http_error(503), False),
        (aiohttp.ServerDisconnectedError(), False),
        (aiohttp.ClientConnectionError("reset"), False),
        (TimeoutError(), False),
        (ConnectionResetError(104, "reset"), False),
    ],
)
def test_errors_are_mapped_to_permanent_or_transient(error: BaseException, permanent: bool):
    mapped = map_error(error, "posting to 1")
    assert mapped.permanent is permanent
    assert "posting to 1" in str(mapped)


def test_the_message_names_the_status_and_code():
    mapped = map_error(http_error(403, 50013, "Missing Permissions"), "posting to 1")
    assert str(mapped) == "Discord answered 403 (code 50013) while posting to 1: Missing Permissions"
