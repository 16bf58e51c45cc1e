"""Prometheus metrics of one digestbot process, served at ``/metrics`` by the bot's web server.

Counters count what this process did (posts, messages, failures, pacing waits); the totals of votes,
suggestions and deliveries come from the database when scraped, so every replica reports the same.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.posting.poster import PostReport

REGISTRY = CollectorRegistry(auto_describe=True)

POSTS = Counter(
    "digestbot_posts",
    "Posts of an issue to a channel, by outcome.",
    ["platform", "outcome"],
    registry=REGISTRY,
)
MESSAGES = Counter(
    "digestbot_messages_sent", "Messages sent to the platforms.", ["platform"], registry=REGISTRY
)
FAILURES = Counter(
    "digestbot_delivery_failures", "Posts that stopped on an error.", ["platform", "kind"], registry=REGISTRY
)
RATE_LIMIT_WAITS = Counter(
    "digestbot_rate_limit_waits",
    "Times a message waited for its channel's rate limit.",
    ["platform"],
    registry=REGISTRY,
)
RATE_LIMIT_WAIT_SECONDS = Counter(
    "digestbot_rate_limit_wait_seconds",
    "Seconds spent waiting for rate limits.",
    ["platform"],
    registry=REGISTRY,
)
SLACK_REQUESTS_REFUSED = Counter(
    "digestbot_slack_requests_refused",
    "Requests to /slack/events refused before bolt saw them (401 unsigned or stale, 400 unreadable).",
    ["status"],
    registry=REGISTRY,
)
VOTES = Gauge("digestbot_votes", "Votes that count now (all replicas).", registry=REGISTRY)
SUGGESTIONS = Gauge("digestbot_suggestions", "Suggestions stored (all replicas).", registry=REGISTRY)
DELIVERIES = Gauge(
    "digestbot_deliveries", "Deliveries by state (all replicas).", ["state"], registry=REGISTRY
)
UP = Gauge("digestbot_up", "1 while the process serves.", registry=REGISTRY)
DATABASE_UP = Gauge(
    "digestbot_database_up", "1 while the database answers, 0 while it is unreachable.", registry=REGISTRY
)
VOTES_PENDING = Gauge(
    "digestbot_votes_pending",
    "Reactions received and not stored yet (queued, or kept through a database outage).",
    registry=REGISTRY,
)
VOTES_SPOOLED = Gauge(
    "digestbot_votes_spooled", "Reactions waiting in the local spool for the database.", registry=REGISTRY
)
SPOOL_REFUSED = Counter(
    "digestbot_votes_spool_full", "Times the full vote spool refused reactions.", registry=REGISTRY
)
VOTES_DROPPED = Counter(
    "digestbot_votes_dropped",
    "Reactions lost: spool and memory full, or refused by the database.",
    registry=REGISTRY,
)
_seen = {"refused": 0, "dropped": 0}


def observe_report(report: PostReport) -> None:
    platform = report.channel.platform.value
    MESSAGES.labels(platform).inc(report.sent)
    if report.complete:
        POSTS.labels(platform, "complete").inc()
    else:
        POSTS.labels(platform, "failed").inc()
        FAILURES.labels(platform, "permanent" if report.permanent else "transient").inc()


def observe_wait(platform: str, seconds: float) -> None:
    if seconds > 0:
        RATE_LIMIT_WAITS.labels(platform).inc()
        RATE_LIMIT_WAIT_SECONDS.labels(platform).inc(seconds)


def set_totals(totals: dict[str, int]) -> None:
    VOTES.set(totals.get("votes", 0))
    SUGGESTIONS.set(totals.get("suggestions", 0))
    DELIVERIES.labels("complete").set(totals.get("deliveries_complete", 0))
    DELIVERIES.labels("failed").set(totals.get("deliveries_failed", 0))


def observe_votes(*, database_up: bool, pending: int, spooled: int, refused: int, dropped: int) -> None:
    DATABASE_UP.set(1 if database_up else 0)
    VOTES_PENDING.set(pending)
    VOTES_SPOOLED.set(spooled)
    for name, counter, total in (("refused", SPOOL_REFUSED, refused), ("dropped", VOTES_DROPPED, dropped)):
        if total > _seen[name]:  # the keeper counts; the counters follow it
            counter.inc(total - _seen[name])
        _seen[name] = total


def exposition() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
