import logging

from adapters.logging_setup import SecretFilter
from bot.config import parse_config


def test_configured_secrets_and_token_shapes_never_reach_the_log(caplog):
    config = parse_config(
        {
            "slack": {"bot_token": "${T}", "signing_secret": "s3cr3t-signing-value"},
            "discord": {"token": "${D}"},
        },
        {"T": "xoxb-123-456-abcdef", "D": "MTIz.discord-token-value.xyz"},
    )
    secrets = SecretFilter(config.secret_values())
    logger = logging.getLogger("test.secrets")
    logger.addFilter(secrets)
    try:
        with caplog.at_level(logging.INFO, logger="test.secrets"):
            logger.info("calling with %s and %s", "s3cr3t-signing-value", "MTIz.discord-token-value.xyz")
            logger.info("header Authorization: Bot %s", "abcdefghijklmnopqrstuvwxyz0123")
            logger.info("unconfigured slack token xoxb-999-888-zzz and xapp-1-A2-3-secret")
            logger.info("database postgresql://digest:hunter2@db.internal/digest")
    finally:
        logger.removeFilter(secrets)
    text = caplog.text
    for leaked in (
        "s3cr3t-signing-value",
        "discord-token-value",
        "abcdefghijklmnopqrstuvwxyz0123",
        "xoxb-999",
        "xapp-1",
        "hunter2",
    ):
        assert leaked not in text, leaked
    assert text.count("***") >= 5
