"""Slack's OAuth flow as bolt serves it, over digestbot's own installation and state stores.

``GET /slack/install`` stores a fresh state and redirects the browser to Slack's authorize page (with the
state in a cookie as well); Slack sends it back to ``GET /slack/oauth_redirect?code=…&state=…``, where bolt
checks the state against both, exchanges the code (``oauth.v2.access``) and saves the workspace's
installation. A state that is forged, already used or older than ten minutes gets bolt's failure page.
``app_uninstalled`` and ``tokens_revoked`` forget the workspace, so its channels stop.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.installations import STATE_EXPIRATION_SECONDS, Installations
from bot.config import SlackConfig

log = logging.getLogger(__name__)


def oauth_settings(config: SlackConfig, installations: Installations) -> AsyncOAuthSettings:
    assert config.client_id is not None
    assert config.client_secret is not None
    return AsyncOAuthSettings(
        client_id=config.client_id,
        client_secret=config.client_secret.get_secret_value(),
        scopes=list(config.scopes),
        redirect_uri=config.redirect_uri,
        install_page_rendering_enabled=False,  # /slack/install redirects straight to Slack
        authorization_url=config.authorize_url,
        installation_store=installations.store,
        state_store=installations.states,
        state_expiration_seconds=STATE_EXPIRATION_SECONDS,
        logger=logging.getLogger("digestbot.slack.oauth"),
    )


def oauth_authorize(
    config: SlackConfig, installations: Installations, client: AsyncWebClient
) -> AsyncInstallationStoreAuthorize:
    """bolt's authorize from the installation store, its ``auth.test`` answer cached per token (a token
    removed from the store is not found again, so an uninstalled workspace is not served from the cache)."""
    assert config.client_secret is not None
    return AsyncInstallationStoreAuthorize(
        logger=logging.getLogger("digestbot.slack.authorize"),
        installation_store=installations.store,
        client_id=config.client_id,
        client_secret=config.client_secret.get_secret_value(),
        cache_enabled=True,
        client=client,
    )


def build_oauth_app(
    config: SlackConfig, installations: Installations, client: AsyncWebClient, *, socket_mode: bool
) -> AsyncApp:
    bolt = AsyncApp(
        client=client,
        signing_secret=config.signing_secret.get_secret_value() if config.signing_secret else None,
        request_verification_enabled=not socket_mode,
        oauth_settings=oauth_settings(config, installations),
        authorize=oauth_authorize(config, installations, client),  # type: ignore[arg-type]
        logger=logging.getLogger("digestbot.slack.bolt"),
    )
    register_uninstall_listeners(bolt, installations)
    return bolt


def register_uninstall_listeners(bolt: AsyncApp, installations: Installations) -> None:
    @bolt.event("app_uninstalled")
    async def app_uninstalled(context: dict[str, Any]) -> None:
        await installations.uninstall(
            enterprise_id=context.get("enterprise_id"), team_id=context.get("team_id")
        )

    @bolt.event("tokens_revoked")
    async def tokens_revoked(event: dict[str, Any], context: dict[str, Any]) -> None:
        tokens = event.get("tokens") or {}
        where = {"enterprise_id": context.get("enterprise_id"), "team_id": context.get("team_id")}
        if tokens.get("bot"):  # without its bot token digestbot can do nothing there
            await installations.uninstall(**where)
        elif tokens.get("oauth"):
            await installations.revoke_users(**where, users=[str(user) for user in tokens["oauth"]])


def add_oauth_routes(web_app: web.Application, bolt: AsyncApp) -> None:
    """``GET /slack/install`` and ``GET /slack/oauth_redirect``, when the app installs by OAuth."""
    flow = bolt.oauth_flow
    if flow is None:
        return

    async def install(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await flow.handle_installation(await to_bolt_request(request)))

    async def redirect(request: web.Request) -> web.Response:
        response = await flow.handle_callback(await to_bolt_request(request))
        if response.status >= 400 or "error" in request.query:  # refused here, or declined on Slack
            reason = request.query.get("error") or "a state that is forged, used or expired"
            log.warning("slack: an install did not complete (%d): %r", response.status, reason[:100])
        return await to_aiohttp_response(response)

    web_app.router.add_get(flow.install_path, install)
    web_app.router.add_get(flow.redirect_uri_path, redirect)
