"""Block Kit validation: what Slack would refuse with ``invalid_blocks``."""

from __future__ import annotations

from typing import Any

from tests.emulators.slack_emulator.limits import (
    _KNOWN_BLOCK_TYPES,
    MAX_BLOCK_ID,
    MAX_BLOCKS,
    MAX_CONTEXT_ELEMENTS,
    MAX_CONTEXT_TEXT,
    MAX_HEADER_TEXT,
    MAX_SECTION_FIELD_TEXT,
    MAX_SECTION_FIELDS,
    MAX_SECTION_TEXT,
    _ApiError,
)


def _check_text_object(obj: Any, pointer: str, *, max_len: int, plain_only: bool = False) -> list[str]:
    if not isinstance(obj, dict):
        return [f"must be a text object [json-pointer:{pointer}]"]
    errors = []
    kind = obj.get("type")
    allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if kind not in allowed:
        errors.append(f"must be one of {', '.join(allowed)} [json-pointer:{pointer}/type]")
    text = obj.get("text")
    if not isinstance(text, str) or len(text) == 0:
        errors.append(f"must be more than 0 characters [json-pointer:{pointer}/text]")
    elif len(text) > max_len:
        errors.append(f"must be less than {max_len + 1} characters [json-pointer:{pointer}/text]")
    return errors


def validate_blocks(blocks: Any) -> list[str]:
    """Return Slack-style error strings for ``blocks`` (empty list = valid). Raises for bad format."""
    if not isinstance(blocks, list):
        raise _ApiError("invalid_blocks_format")
    errors: list[str] = []
    if len(blocks) > MAX_BLOCKS:
        errors.append(f"too_many_blocks: must be no more than {MAX_BLOCKS} items [json-pointer:/blocks]")
    seen_ids: set[str] = set()
    for i, block in enumerate(blocks):
        ptr = f"/blocks/{i}"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            errors.append(f"must be an object with a type [json-pointer:{ptr}]")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or not block_id or len(block_id) > MAX_BLOCK_ID:
                errors.append(f"must be 1-{MAX_BLOCK_ID} characters [json-pointer:{ptr}/block_id]")
            elif block_id in seen_ids:
                errors.append(f"duplicate block_id [json-pointer:{ptr}/block_id]")
            else:
                seen_ids.add(block_id)
        kind = block["type"]
        if kind not in _KNOWN_BLOCK_TYPES:
            errors.append(f"unsupported type: {kind} [json-pointer:{ptr}/type]")
        elif kind == "header":
            errors += _check_text_object(
                block.get("text"), f"{ptr}/text", max_len=MAX_HEADER_TEXT, plain_only=True
            )
        elif kind == "section":
            text, fields = block.get("text"), block.get("fields")
            if text is None and not fields:
                errors.append(f"must provide either text or fields [json-pointer:{ptr}]")
            if text is not None:
                errors += _check_text_object(text, f"{ptr}/text", max_len=MAX_SECTION_TEXT)
            if fields is not None:
                if not isinstance(fields, list) or len(fields) > MAX_SECTION_FIELDS:
                    errors.append(
                        f"must be no more than {MAX_SECTION_FIELDS} items [json-pointer:{ptr}/fields]"
                    )
                else:
                    for j, f in enumerate(fields):
                        errors += _check_text_object(f, f"{ptr}/fields/{j}", max_len=MAX_SECTION_FIELD_TEXT)
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= MAX_CONTEXT_ELEMENTS:
                errors.append(f"must provide 1-{MAX_CONTEXT_ELEMENTS} elements [json-pointer:{ptr}/elements]")
            else:
                for j, element in enumerate(elements):
                    if isinstance(element, dict) and element.get("type") in ("plain_text", "mrkdwn"):
                        errors += _check_text_object(element, f"{ptr}/elements/{j}", max_len=MAX_CONTEXT_TEXT)
    return errors
