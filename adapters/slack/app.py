"""The Slack side of ``digestbot run``: slack-bolt listeners for reactions and slash commands.

Listeners acknowledge first: events are acknowledged by bolt before the listener runs; slash commands
are answered inside Slack's 3 s with the reply itself when the work is done in time, otherwise with an
empty acknowledgement and the reply sent to ``response_url`` when it is ready.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp

from adapters.bootstrap import Application
from adapters.slack.blocks import (
    APPROVE_ACTION,
    MAX_REPLY_TEXT,
    REJECT_ACTION,
    SECTION_ACTION,
    fit,
    triage_blocks,
)
from adapters.slack.oauth import add_oauth_routes, build_oauth_app
from adapters.slack.platform import SlackPlatform, make_client, voter_id
from adapters.slack.requests import SlackRequestGate
from bot.community.suggestions import Actor, Reply
from bot.community.votes import ReactionEvent
from bot.config import ConfigError
from bot.model import Platform
from bot.ports import PlatformError

log = logging.getLogger(__name__)

# A reply ready this soon goes in the acknowledgement itself (one message, no follow-up); otherwise the
# command is acknowledged at once and the reply follows through response_url. Slack allows 3 s, but a
# person sees a slash command hang for every millisecond of it.
INLINE_REPLY_SECONDS = 0.1
FAILURE_REPLY = "Sorry, something went wrong on digestbot's side; nothing was saved. Please try again."


def slack_time(ts: object) -> datetime | None:
    """A Slack ``ts``/``event_ts`` ("1700000000.000100") as a time, or None when there is none."""
    try:
        return datetime.fromtimestamp(float(str(ts)), tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def is_admin(app: Application, team_id: object, user: str) -> bool:
    """An admin of ``admins.slack``: with many workspaces named ``T…:U…``, as ids may repeat across them."""
    if app.config.slack.oauth:
        return voter_id(str(team_id or ""), user) in app.config.admins.slack
    return user in app.config.admins.slack


def slack_actor(app: Application, command: dict[str, Any]) -> Actor:
    user = str(command.get("user_id", ""))
    return Actor(
        platform=Platform.SLACK,
        user_id=user,
        workspace_id=command.get("team_id"),
        channel_id=command.get("channel_id"),
        is_admin=is_admin(app, command.get("team_id"), user),
        display_name=command.get("user_name"),
    )


# Replies still being worked on after their acknowledgement; shutdown waits for them.
unfinished_replies: set[asyncio.Future[Reply]] = set()


async def answer_command(ack: Any, respond: Any, work: Awaitable[Reply]) -> None:
    """Acknowledge with the reply when it is ready in time, else acknowledge now and reply later."""
    task = asyncio.ensure_future(work)
    unfinished_replies.add(task)
    task.add_done_callback(unfinished_replies.discard)
    done, _ = await asyncio.wait({task}, timeout=INLINE_REPLY_SECONDS)
    if task in done:
        reply = _reply_of(task)
        await ack(**_reply_body(reply))
        return
    await ack()
    await task
    reply = _reply_of(task)
    await respond(**_reply_body(reply))


def _reply_body(reply: Reply) -> dict[str, Any]:
    body: dict[str, Any] = {
        "text": fit(reply.text, MAX_REPLY_TEXT),
        "response_type": "ephemeral" if reply.ephemeral else "in_channel",
    }
    if reply.cards:  # /digest suggestions: Approve / Reject buttons and a section picker per suggestion
        body["blocks"] = triage_blocks(reply.text, reply.cards)
    return body


def _reply_of(task: asyncio.Future[Reply]) -> Reply:
    error = task.exception()
    if error is None:
        return task.result()
    log.error("slash command failed: %s: %s", error.__class__.__name__, error)
    return Reply(FAILURE_REPLY, ok=False)


def build_bolt_app(app: Application, *, socket_mode: bool = False) -> AsyncApp:
    config = app.config.slack
    if config.bot_token is None and not config.oauth:
        raise ConfigError("slack.bot_token is not set (nor slack.client_id and client_secret, for OAuth)")
    if not socket_mode and config.signing_secret is None:
        raise ConfigError("slack.signing_secret is not set (needed to check requests in HTTP mode)")
    platform = app.platform(Platform.SLACK)
    if config.oauth:
        if socket_mode:
            raise ConfigError("Slack OAuth serves /slack/install over HTTP: leave slack.app_token unset")
        assert isinstance(platform, SlackPlatform)
        assert platform.installations is not None
        client = make_client(config, session=platform.client.session, tokenless=True)
        bolt = build_oauth_app(config, platform.installations, client, socket_mode=False)
        register_listeners(app, bolt)
        return bolt
    client = platform.client if isinstance(platform, SlackPlatform) else make_client(config)
    bolt = AsyncApp(
        client=client,
        signing_secret=config.signing_secret.get_secret_value() if config.signing_secret else None,
        request_verification_enabled=not socket_mode,
        logger=logging.getLogger("digestbot.slack.bolt"),
    )
    register_listeners(app, bolt)
    return bolt


def register_listeners(app: Application, bolt: AsyncApp) -> None:
    async def on_reaction(
        body: dict[str, Any], event: dict[str, Any], context: dict[str, Any], added: bool
    ) -> None:
        item = event.get("item") or {}
        if item.get("type") != "message" or "ts" not in item or "channel" not in item:
            return
        user = str(event.get("user", ""))
        team = (context.get("team_id") or body.get("team_id")) if app.config.slack.oauth else None
        outcome = await app.votes.handle(
            ReactionEvent(
                platform=Platform.SLACK,
                channel_id=str(item["channel"]),
                message_id=str(item["ts"]),
                user_id=voter_id(team, user),
                emoji=str(event.get("reaction", "")),
                added=added,
                event_id=body.get("event_id"),
                by_bot=user == context.get("bot_user_id"),
                occurred_at=slack_time(event.get("event_ts")),
            )
        )
        log.debug("slack %s by %s: %s", event.get("type"), user, outcome.value)

    @bolt.event("reaction_added")
    async def reaction_added(body: dict[str, Any], event: dict[str, Any], context: dict[str, Any]) -> None:
        await on_reaction(body, event, context, True)

    @bolt.event("reaction_removed")
    async def reaction_removed(body: dict[str, Any], event: dict[str, Any], context: dict[str, Any]) -> None:
        await on_reaction(body, event, context, False)

    @bolt.command("/suggest")
    async def suggest(ack: Any, command: dict[str, Any], respond: Any) -> None:
        text = str(command.get("text", ""))
        await answer_command(ack, respond, app.suggestions.suggest_text(slack_actor(app, command), text))

    @bolt.command("/digest")
    async def digest(ack: Any, command: dict[str, Any], respond: Any) -> None:
        commands = app.commands()
        await answer_command(
            ack, respond, commands.run(slack_actor(app, command), str(command.get("text", "")))
        )

    async def on_triage(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any) -> None:
        """Approve / Reject / section buttons of ``/digest suggestions``; only admins may press them."""
        await ack()
        user = str((body.get("user") or {}).get("id", ""))
        actor = Actor(
            platform=Platform.SLACK,
            user_id=user,
            workspace_id=(body.get("team") or {}).get("id"),
            channel_id=(body.get("channel") or {}).get("id"),
            is_admin=is_admin(app, (body.get("team") or {}).get("id"), user),
        )
        triage = app.triage
        action_id = str(action.get("action_id", ""))
        try:
            if action_id == SECTION_ACTION:
                value = str((action.get("selected_option") or {}).get("value", ""))
                raw_id, _, section = value.partition(":")
                reply = await triage.choose_section(actor, int(raw_id), section or None)
            else:
                reply = await triage.decide(
                    actor, int(str(action.get("value", ""))), approve=action_id == APPROVE_ACTION
                )
        except ValueError:
            reply = Reply("That button does not name a suggestion.", ok=False)
        except Exception as error:
            log.error("suggestion triage failed: %s: %s", error.__class__.__name__, error)
            reply = Reply(FAILURE_REPLY, ok=False)
        await respond(text=fit(reply.text, MAX_REPLY_TEXT), response_type="ephemeral", replace_original=False)

    for action_id in (APPROVE_ACTION, REJECT_ACTION, SECTION_ACTION):
        bolt.action(action_id)(on_triage)

    @bolt.event("message")
    async def ignore_messages() -> None:
        """Message events (if subscribed) are not needed; acknowledging them keeps Slack from retrying."""


def build_web_app(
    bolt: AsyncApp,
    *,
    signing_secret: str | None,
    extra_routes: Callable[[web.Application], None] | None = None,
) -> web.Application:
    gate = SlackRequestGate(signing_secret)

    async def slack_events(request: web.Request) -> web.Response:
        admitted = await gate.admit(request)
        if isinstance(admitted, web.Response):
            return admitted
        return await to_aiohttp_response(await bolt.async_dispatch(admitted))

    web_app = web.Application(client_max_size=1024 * 1024)
    web_app.router.add_post("/slack/events", slack_events)
    add_oauth_routes(web_app, bolt)
    if extra_routes is not None:
        extra_routes(web_app)
    return web_app


class SlackRuntime:
    """Serves Slack in HTTP mode (``/slack/events``) or Socket Mode, until stopped."""

    def __init__(self, app: Application) -> None:
        self.app = app
        config = app.config.slack
        self.socket_mode = config.app_token is not None
        self.bolt = build_bolt_app(app, socket_mode=self.socket_mode)
        self._runner: web.AppRunner | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self.port: int | None = None

    async def start(self) -> None:
        config = self.app.config.slack
        platform = self.app.platform(Platform.SLACK)
        if config.oauth and config.bot_token is not None and isinstance(platform, SlackPlatform):
            try:  # its workspace's events are authorized from the installation store, like the others'
                await platform.static_team()
            except PlatformError as error:
                log.warning("slack: slack.bot_token was refused: %s", error)
        if config.app_token is not None:
            self._socket = AsyncSocketModeHandler(self.bolt, config.app_token.get_secret_value())
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
            log.info("slack: connected in Socket Mode")
            return
        from adapters.web.server import add_ops_routes, address

        secret = config.signing_secret.get_secret_value() if config.signing_secret else None
        web_app = build_web_app(
            self.bolt, signing_secret=secret, extra_routes=lambda routes: add_ops_routes(self.app, routes)
        )
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        where = address(self.app)  # the bot's one web server: /slack/events, /healthz, /metrics
        site = web.TCPSite(self._runner, where.host, where.port)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else where.port
        log.info("slack: serving /slack/events, /healthz and /metrics on %s:%s", where.host, self.port)

    async def stop(self) -> None:
        """Stop taking requests, then let the reactions already acknowledged be stored."""
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
        if self._runner is not None:
            await self._runner.shutdown()
        if not await self.app.votes.drain():
            log.warning("slack: stopped before every acknowledged reaction was stored")
        if unfinished_replies:
            await asyncio.wait(set(unfinished_replies), timeout=10)
        if self._runner is not None:
            await self._runner.cleanup()
