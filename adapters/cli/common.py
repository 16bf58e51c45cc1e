"""What every ``digestbot`` command shares: one-line errors, the event loop, the bootstrapped application.

Rich, SQLAlchemy, the platform SDKs and the readers are imported by the commands that use them, so that
``digestbot --help`` (and a command's ``--help``) starts without loading them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from adapters.logging_setup import secret_filter
from bot.model import DEFAULT_NEWSLETTER, issue_label

if TYPE_CHECKING:
    from rich.console import Console

    from adapters.bootstrap import Application
    from bot.config import Config
    from bot.model import Issue
    from bot.posting.poster import PostReport

T = TypeVar("T")
log = logging.getLogger("digestbot")


class LazyConsole:
    """A Rich console made on first use."""

    def __init__(self, *, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    @property
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr, highlight=False, soft_wrap=True)
        return self._console

    def print(self, *objects: Any, **kwargs: Any) -> None:
        self.console.print(*objects, **kwargs)


out = LazyConsole(stderr=False)
err = LazyConsole(stderr=True)


class CommandError(Exception):
    """A failure to report as one line on stderr."""


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"digestbot: error: {message}", markup=False)
    sys.exit(code)


def user_errors() -> tuple[type[Exception], ...]:
    """The errors a user can cause (bad config, file or post), reported as one line."""
    from bot.config import ConfigError
    from bot.ingest import IngestError
    from bot.posting.poster import PostingError

    return (ConfigError, PostingError, IngestError)


def handles_errors(command: Callable[..., T]) -> Callable[..., T]:
    """Turn the errors a user can cause into one clear line and a non-zero exit, never a traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return command(*args, **kwargs)
        except CommandError as error:
            fail(str(error))
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as error:
            if isinstance(error, user_errors()):
                fail(str(error))
            if logging.getLogger().isEnabledFor(logging.DEBUG):
                raise
            log.debug("unexpected failure", exc_info=True)
            fail(f"unexpected failure ({error.__class__.__name__}: {error}); run with --debug for details")

    return wrapper


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on the platforms it supports
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


class Context:
    def __init__(self, config_path: Path | None) -> None:
        self.config_path = config_path
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            from bot.config import load_config

            self._config = load_config(self.config_path)
            secret_filter.add(self._config.secret_values())
        return self._config

    def newsletter(self, given: str | None) -> str:
        """The id of the newsletter ``--newsletter`` names; without it, the only one (an error lists the
        ids when there are several or it names none of them)."""
        return self.config.newsletter(given).id

    async def app(self) -> Application:
        from adapters.bootstrap import bootstrap

        return await bootstrap(self.config)


def echo_json(document: object) -> None:
    """``--json`` output: indented, non-ASCII kept as it is."""
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


async def write_or_echo(text: str, output: Path | None, wrote: str) -> None:
    """``text`` to standard output, or to the ``-o`` file with ``wrote`` said on stderr."""
    if output is None:
        click.echo(text, nl=False)
    else:
        await asyncio.to_thread(output.write_text, text, encoding="utf-8")
        err.print(f"{wrote} to {output}", markup=False)


async def stored_issue(app: Application, number: int, newsletter: str = DEFAULT_NEWSLETTER) -> Issue:
    """Issue ``number`` of the newsletter as stored; a one-line error when there is none."""
    async with app.uow_factory() as uow:
        issue = await uow.issues.get(number, newsletter=newsletter)
    if issue is None:
        raise CommandError(f"there is no issue {issue_label(newsletter, number)}")
    return issue


def named(newsletter: str) -> dict[str, str]:
    """``--json`` rows name their newsletter, unless it is the default one (rows stay as they were)."""
    return {} if newsletter == DEFAULT_NEWSLETTER else {"newsletter": newsletter}


newsletter_option = click.option(
    "--newsletter", help="The newsletter's id from the config (default: the only one)."
)


def with_app(function: Callable[..., Awaitable[T]]) -> Callable[..., T]:
    """Run an async command body with a bootstrapped application, closed afterwards."""

    @wraps(function)
    def wrapper(ctx: Context, *args: Any, **kwargs: Any) -> T:
        async def body() -> T:
            app = await ctx.app()
            try:
                return await function(app, *args, **kwargs)
            finally:
                await app.aclose()

        return run_async(body())

    return handles_errors(wrapper)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def describe_report(report: PostReport) -> str:
    where = f"{issue_label(report.newsletter_id, report.issue_number)} → {report.channel.name}"
    if report.errors:
        return f"{where}: {report.errors[0]}"
    if report.total == 0:
        return f"{where}: nothing to post, the channel's filter left out all {report.filtered}"
    if report.edited:
        added = f", {report.sent} added" if report.sent else ""
        removed = f" ({report.removed} marked removed)" if report.removed else ""
        return f"{where}: corrected in place: {report.edited} messages edited{removed}{added}"
    if report.sent == 0 and report.recovered == 0:
        return f"{where}: already posted ({report.already_posted} messages), nothing sent"
    resumed = f", {report.already_posted} were already posted" if report.already_posted else ""
    recovered = f", {report.recovered} found already delivered" if report.recovered else ""
    filtered = f"; the channel's filter left out {report.filtered}" if report.filtered else ""
    return f"{where}: sent {report.sent} messages{resumed}{recovered}{filtered}"
