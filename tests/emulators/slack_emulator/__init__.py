r"""A local, in-process Slack emulator for tests and benchmarks.

``SlackEmulator`` is an aiohttp web server bound to 127.0.0.1 that speaks enough of Slack's
Web API, Events API (HTTP "Request URL" delivery), slash commands (including ``response_url``)
and Socket Mode for the *real* ``slack_sdk`` / ``slack_bolt`` clients to run against it
unmodified. Nothing ever talks to slack.com.

Typical use::

    async with SlackEmulator(post_rate_per_second=None) as emu:   # None = no per-channel pacing
        general = emu.add_channel("general")
        client = AsyncWebClient(token=emu.bot_token, base_url=emu.api_url)
        await client.chat_postMessage(channel=general, text="hi")
        assert emu.messages(general)[0].text == "hi"

Point a Bolt app at it by giving it a client whose ``base_url`` is ``emu.api_url`` (Bolt calls
``auth.test`` on the first request it authorizes, so a default client would reach slack.com)::

    app = AsyncApp(client=AsyncWebClient(token=emu.bot_token, base_url=emu.api_url),
                   signing_secret=emu.signing_secret)

Serve a Bolt app's Request URL on aiohttp with ``slack_bolt.adapter.aiohttp``'s
``to_bolt_request``/``to_aiohttp_response`` around ``app.async_dispatch`` (see ``serve()`` in
``test_slack_emulator.py``) and drive it with :meth:`SlackEmulator.deliver_event` /
:meth:`SlackEmulator.send_slash_command`; for Socket Mode, ``AsyncSocketModeHandler(app,
emu.app_token).connect_async()`` then :meth:`SlackEmulator.push_socket_event` /
:meth:`SlackEmulator.push_socket_command`.

Routes: ``/api/<method>`` (Web API), ``/socket-mode/link/?ticket=…`` (WebSocket),
``/commands/response/<id>`` (slash-command ``response_url``).

Design notes and deliberate deviations from Slack:

* **Stricter than Slack.** ``chat.postMessage`` with a ``thread_ts`` that is not the ``ts`` of
  an existing *top-level* message in that channel returns ``thread_not_found``. Real Slack
  silently posts such a message top-level (or threads it under the reply's parent); an
  error surfaces the bug instead of hiding it.
* **Block Kit validation** covers the limits a newsletter bot can hit (≤ 50 blocks, section
  text ≤ 3000, section fields ≤ 10 x 2000, header ``plain_text`` ≤ 150, empty texts, unknown
  block types, duplicate/too-long ``block_id``). Failures return Slack's error code
  ``invalid_blocks`` with an ``errors`` list; the wording of those messages is the emulator's
  own (each names the offending JSON pointer). Non-list/unparsable blocks → ``invalid_blocks_format``.
* **Rate limits.** ``chat.postMessage`` is paced per channel with a token bucket
  (``post_rate_per_second`` tokens/s, capacity ``post_burst``). Slack documents "1 message per
  second per channel, short bursts allowed" without numbers; a burst of 3 lets a header plus a
  couple of quick follow-ups through but makes a naive loop over a section's items hit 429 by
  the 4th message, so pacing code is really exercised. Other methods are limited workspace-wide
  per method with Slack's published tiers (Tier 2 = 20/min, Tier 3 = 50/min, Tier 4 = 100/min)
  as token buckets whose capacity is one full minute of calls (so they only bite under
  sustained load). ``apps.connections.open`` (Tier 1 at Slack) is loosened to 20/min because
  slack_sdk sleeps ``Retry-After`` (default 30 s) when it is limited. A 429 carries an integer
  ``Retry-After`` header (seconds, rounded up, at least 1) and ``{"ok": false, "error":
  "ratelimited"}``. A rate-limited request changes no state. A post that passes the bucket but
  fails validation still consumed its token (the request reached Slack).
* **Files (minimal).** The upload flow of ``files_upload_v2``: ``files.getUploadURLExternal``
  (``filename`` and ``length`` required) returns an ``upload_url`` on this emulator
  (``/upload/<file_id>``) that takes the raw bytes in a POST (the length must match), and
  ``files.completeUploadExternal`` (``files`` JSON list of ``{"id", "title"}``, ``channel_id``,
  optional ``initial_comment``/``thread_ts``) shares them: a message with ``files`` (and the
  comment as its text) is stored in the channel. Uploaded bytes are in :attr:`SlackEmulator.files`.
  No other files.* method, no file scopes, no image processing.
* **Interactivity (minimal).** :meth:`SlackEmulator.send_block_action` POSTs a signed
  ``block_actions`` payload (form field ``payload``) for a button or ``static_select`` in a
  message, with a ``response_url`` recorded like a slash command's (:meth:`responses_for` with
  ``AppResponse.trigger_id``). No view submissions, shortcuts or ``replace_original``.
* **Workspaces and OAuth** (``teams.py``): :meth:`SlackEmulator.add_team` adds workspaces with their
  own bot user, channels and users; ``GET /oauth/v2/authorize`` (``team=`` picks the workspace) and
  ``oauth.v2.access`` install the app (:meth:`SlackEmulator.set_oauth_app`) and give each workspace its
  own bot token, which reaches only that workspace's channels (``channel_not_found`` elsewhere). Events
  carry their channel's ``team_id``; :meth:`SlackEmulator.uninstall` revokes the token (``token_revoked``)
  and sends ``app_uninstalled``.
* **Not emulated:** channel membership (``not_in_channel``), other files.* methods, attachments validation,
  Slack assigning ``block_id``\s, edited/deleted events, events for the bot's *own* API actions
  (e.g. ``reactions.add`` by the bot does not emit ``reaction_added``), automatic Events API
  retries on timeout (use :meth:`SlackEmulator.redeliver`), interactivity payloads, user tokens and
  token rotation in OAuth, Enterprise Grid, workspace-wide ``chat.postMessage`` limits, Socket Mode
  ticket expiry.
"""

from tests.emulators.slack_emulator.blocks import validate_blocks
from tests.emulators.slack_emulator.emulator import SlackEmulator
from tests.emulators.slack_emulator.limits import (
    DEFAULT_METHOD_LIMITS_PER_MINUTE,
    SlackEmulatorError,
    sign_request,
)
from tests.emulators.slack_emulator.records import (
    AppResponse,
    Channel,
    CommandInvocation,
    CommandResponse,
    Ephemeral,
    EventDelivery,
    SocketAck,
    StoredMessage,
    UploadedFile,
    User,
)

__all__ = [
    "DEFAULT_METHOD_LIMITS_PER_MINUTE",
    "AppResponse",
    "Channel",
    "CommandInvocation",
    "CommandResponse",
    "Ephemeral",
    "EventDelivery",
    "SlackEmulator",
    "SlackEmulatorError",
    "SocketAck",
    "StoredMessage",
    "UploadedFile",
    "User",
    "sign_request",
    "validate_blocks",
]
