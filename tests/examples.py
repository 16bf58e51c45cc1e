"""The bundled example issue, as the tests ingest it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bot.ingest import parse_file

if TYPE_CHECKING:
    from adapters.bootstrap import Application

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "deep-learning-weekly-195.txt"


async def ingest_example(app: Application) -> int:
    """Store the example issue (#195) through the app's unit of work; its number."""
    [issue] = parse_file(EXAMPLE)
    async with app.uow_factory() as uow:
        saved = await uow.issues.save(issue, now=app.clock.now())
        await uow.commit()
    return saved.number
