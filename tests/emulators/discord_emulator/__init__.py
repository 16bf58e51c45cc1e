"""A local, in-process Discord emulator for end-to-end tests and benchmarks.

``DiscordEmulator`` runs an aiohttp server on ``127.0.0.1`` (random port) that speaks enough of
Discord's REST API (v10) and Gateway (v10, JSON encoding, optional ``zlib-stream`` /
``zstd-stream`` transport compression) for the *real* discord.py to log in, connect, receive
READY/GUILD_CREATE, post messages, embeds, threads and forum posts, add reactions, sync
application commands and answer interactions - without ever reaching discord.com.

Typical use::

    async with DiscordEmulator() as emu:
        guild = emu.add_guild("Newsletter")
        channel = emu.add_text_channel(guild, "weekly")
        with point_discord_py_at(emu):
            client = discord.Client(intents=..., guild_ready_timeout=0.1)
            await client.login(emu.token)
            ...

State lives in plain dictionaries on the emulator (``emu.channel_messages(cid)``,
``emu.reactions_on(mid)``, ``emu.threads`` ...); tests drive the "Discord side" with helpers
such as :meth:`DiscordEmulator.dispatch_reaction_add`, :meth:`DiscordEmulator.dispatch_slash_command`,
:meth:`DiscordEmulator.send_reconnect` and the fault injectors :meth:`DiscordEmulator.fail_next`,
:meth:`DiscordEmulator.drop_after_accept` and :meth:`DiscordEmulator.rate_limit_storm`.

Behaviour that mirrors Discord and matters to a client:

* Every JSON response has ``Content-Type: application/json`` exactly and a ``Via`` header
  (discord.py treats a 429 *without* ``Via`` as a Cloudflare ban and raises instead of retrying).
* Snowflakes are real, time-ordered snowflakes serialised as strings.
* Errors use Discord's shape ``{"code": ..., "message": ...}`` (plus ``errors`` for 50035).
* Per-route buckets send ``X-RateLimit-*`` headers; message creation is limited per channel,
  and a global per-second limit applies to everything except interaction callbacks/webhooks.

Minimal additions for digestbot's community features:

* **Direct messages.** ``POST /users/@me/channels`` (``recipient_id``) opens (or returns) a DM
  channel (type 1) with a known user; ``POST /channels/{dm}/messages`` stores the message there
  (:meth:`DiscordEmulator.dm_messages`). No gateway events for DMs, no blocked-DM errors.
* **Attachments.** ``POST /channels/{id}/messages`` also takes ``multipart/form-data`` (as
  discord.py sends files): the ``payload_json`` part is the message body and each ``files[n]`` part
  becomes an entry of the message's ``attachments`` (id, filename, size, content_type); the bytes
  are kept in :attr:`DiscordEmulator.attachments` by attachment id. No size limit; the
  attachment ``url`` is an unresolvable ``.invalid`` address (nothing serves the bytes).
* **Message components.** :meth:`DiscordEmulator.dispatch_component` dispatches a
  ``MESSAGE_COMPONENT`` interaction (type 3: a button press or a select choice, by ``custom_id``),
  answered like a slash command's (the same :class:`InteractionHandle`). Components sent in
  messages are stored as given, not validated.
"""

from tests.emulators.discord_emulator.emulator import DiscordEmulator, point_discord_py_at
from tests.emulators.discord_emulator.model import (
    CHANNEL_DM,
    CHANNEL_FORUM,
    CHANNEL_PRIVATE_THREAD,
    CHANNEL_PUBLIC_THREAD,
    CHANNEL_TEXT,
    DISCORD_EPOCH_MS,
    ApiError,
    Intents,
    Permissions,
)
from tests.emulators.discord_emulator.plumbing import InteractionHandle, InteractionReply, RequestRecord

__all__ = [
    "CHANNEL_DM",
    "CHANNEL_FORUM",
    "CHANNEL_PRIVATE_THREAD",
    "CHANNEL_PUBLIC_THREAD",
    "CHANNEL_TEXT",
    "DISCORD_EPOCH_MS",
    "ApiError",
    "DiscordEmulator",
    "Intents",
    "InteractionHandle",
    "InteractionReply",
    "Permissions",
    "RequestRecord",
    "point_discord_py_at",
]
