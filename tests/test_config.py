from pathlib import Path

import pytest
import yaml

from bot.config import ConfigError, CronSchedule, WeeklySchedule, load_config, parse_config
from bot.emoji import normalise_emoji
from bot.model import Platform

ROOT = Path(__file__).resolve().parent.parent


def test_example_config_loads_without_any_environment():
    config = load_config(ROOT / "config.example.yaml", environ={})
    assert [c.name for c in config.channels] == ["console"]
    assert config.database.url == "sqlite:///digestbot.db"
    assert not config.slack.enabled
    assert not config.discord.enabled
    assert config.votes.weight(normalise_emoji("🔥")) == 2


def test_built_in_default_is_sqlite_and_console(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(None, environ={})
    assert config.database.url.startswith("sqlite:///")
    assert config.channel("console").platform is Platform.CONSOLE


def test_config_path_precedence(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.yaml").write_text("database: {url: 'sqlite:///local.db'}\n")
    env_file = tmp_path / "env.yaml"
    env_file.write_text("database: {url: 'sqlite:///env.db'}\n")
    flag_file = tmp_path / "flag.yaml"
    flag_file.write_text("database: {url: 'sqlite:///flag.db'}\n")
    env = {"DIGESTBOT_CONFIG": str(env_file)}
    assert load_config(flag_file, environ=env).database.url == "sqlite:///flag.db"
    assert load_config(None, environ=env).database.url == "sqlite:///env.db"
    assert load_config(None, environ={}).database.url == "sqlite:///local.db"


def test_secrets_come_from_the_environment_and_never_show():
    config = parse_config(
        {"slack": {"bot_token": "${SLACK_BOT_TOKEN}", "signing_secret": "${SIGNING:-fallback-secret}"}},
        {"SLACK_BOT_TOKEN": "xoxb-very-secret-value"},
    )
    assert config.slack.bot_token is not None
    assert config.slack.bot_token.get_secret_value() == "xoxb-very-secret-value"
    assert config.slack.signing_secret is not None
    assert config.slack.signing_secret.get_secret_value() == "fallback-secret"
    assert "xoxb-very-secret-value" not in repr(config)
    assert "xoxb-very-secret-value" not in str(config.model_dump())


def test_a_blank_secret_is_unset():
    blank = {"SLACK_APP_TOKEN": ""}
    config = parse_config(
        {
            "slack": {
                "bot_token": "",
                "signing_secret": "${SIGNING:-}",
                "app_token": "${SLACK_APP_TOKEN}",
                "client_secret": "",
            },
            "discord": {"token": ""},
        },
        blank,
    )
    slack = config.slack
    assert (slack.bot_token, slack.signing_secret, slack.app_token, slack.client_secret) == (None,) * 4
    assert config.discord.token is None
    assert not config.slack.enabled
    assert not config.discord.enabled


def test_missing_environment_variable_names_the_key_and_variable():
    with pytest.raises(
        ConfigError, match=r"slack\.bot_token: environment variable SLACK_BOT_TOKEN is not set"
    ):
        parse_config({"slack": {"bot_token": "${SLACK_BOT_TOKEN}"}}, {})


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"databse": {}}, "databse: Extra inputs are not permitted"),
        ({"slack": {"http": {"port": 99999}}}, "slack.http.port"),
        ({"slack": {"api_url": "ftp://nope"}}, "slack.api_url: must be an http(s) URL"),
        ({"channels": [{"name": "x", "platform": "irc"}]}, "channels.0.platform"),
        ({"channels": [{"name": "x", "platform": "slack"}]}, "channel 'x' needs the slack channel id"),
        (
            {"channels": [{"name": "a", "platform": "console"}, {"name": "a", "platform": "console"}]},
            "channel names must be unique, repeated: a",
        ),
        (
            {"channels": [{"name": "x", "platform": "console", "schedule": {"cron": "61 * * * *"}}]},
            "channels.0.schedule.cron: not a valid cron expression",
        ),
        (
            {
                "channels": [
                    {
                        "name": "x",
                        "platform": "console",
                        "schedule": {"weekday": "monday", "time": "09:00", "timezone": "Mars/Olympus"},
                    }
                ]
            },
            "unknown IANA timezone 'Mars/Olympus'",
        ),
    ],
)
def test_bad_values_are_reported_with_their_key(document, message):
    with pytest.raises(ConfigError) as caught:
        parse_config(document, {})
    assert message in str(caught.value)


def test_secret_value_is_not_echoed_in_a_validation_error():
    with pytest.raises(ConfigError) as caught:
        parse_config({"slack": {"bot_token": ["xoxb-leaky-secret"]}}, {})
    assert "xoxb-leaky-secret" not in str(caught.value)
    assert "slack.bot_token" in str(caught.value)


def test_schedules_weekly_and_cron():
    config = parse_config(
        {
            "channels": [
                {"name": "a", "platform": "console", "schedule": {"weekday": "Monday", "time": "09:00"}},
                {
                    "name": "b",
                    "platform": "console",
                    "schedule": {"cron": "0 9 * * MON", "timezone": "Europe/Berlin"},
                },
            ]
        },
        {},
    )
    assert isinstance(config.channel("a").schedule, WeeklySchedule)
    assert isinstance(config.channel("b").schedule, CronSchedule)


def test_unreadable_and_invalid_files(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml", environ={})
    bad = tmp_path / "bad.yaml"
    bad.write_text("channels: [\n")
    with pytest.raises(ConfigError, match="not valid YAML at line"):
        load_config(bad, environ={})
    listy = tmp_path / "list.yaml"
    listy.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(listy, environ={})


def test_unknown_channel_lists_the_known_ones():
    config = parse_config({"channels": [{"name": "console", "platform": "console"}]}, {})
    with pytest.raises(ConfigError, match=r"no channel named 'slack' \(channels: console\)"):
        config.channel("slack")


def test_slack_oauth_takes_both_keys_and_keeps_the_secret_hidden():
    config = parse_config(
        {"slack": {"client_id": "123.456", "client_secret": "${SLACK_CLIENT_SECRET}"}},
        {"SLACK_CLIENT_SECRET": "oauth-secret-value-1"},
    )
    assert config.slack.oauth
    assert config.slack.enabled
    assert "chat:write" in config.slack.scopes
    assert "oauth-secret-value-1" in config.secret_values()
    assert "oauth-secret-value-1" not in repr(config)
    assert not parse_config({"slack": {"bot_token": "xoxb-1"}}, {}).slack.oauth
    blank = parse_config({"slack": {"client_id": "", "client_secret": "${S:-}"}}, {})
    assert not blank.slack.oauth
    for half in ({"client_id": "123.456"}, {"client_secret": "oauth-secret-value-1"}):
        with pytest.raises(ConfigError) as caught:
            parse_config({"slack": half}, {})
        assert "slack.client_id and slack.client_secret" in str(caught.value)
        assert "oauth-secret-value-1" not in str(caught.value)
    with pytest.raises(ConfigError, match="not Socket Mode"):
        parse_config({"slack": {"client_id": "1.2", "client_secret": "x", "app_token": "xapp-1"}}, {})


def test_a_channel_names_its_slack_workspace_and_only_on_slack():
    config = parse_config(
        {"channels": [{"name": "news", "platform": "slack", "id": "C1", "team": "T123"}]}, {}
    )
    assert config.channel("news").to_channel().guild_id == "T123"
    with pytest.raises(ConfigError, match="team names a Slack workspace, not a discord one"):
        parse_config(
            {"channels": [{"name": "d", "platform": "discord", "id": "1", "guild": "2", "team": "T1"}]}, {}
        )


def test_the_readmes_many_workspaces_example_is_a_valid_config():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Slack for many workspaces", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    config = parse_config(yaml.safe_load(example), {"SLACK_CLIENT_SECRET": "s", "SLACK_SIGNING_SECRET": "t"})
    assert config.slack.oauth
    assert [c.to_channel().guild_id for c in config.channels] == ["T0ACME", "T0BETA"]
