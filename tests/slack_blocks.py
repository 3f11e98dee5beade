"""Block Kit as Slack judges it: every block through Slack's own SDK (`slack_sdk`), and the message-wide limits
Slack applies to a whole message (50 blocks; whole messages refused past about 13,000 characters of blocks,
`msg_blocks_too_long`)."""

from __future__ import annotations

import json

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

SLACK_MAX_BLOCKS = 50
SLACK_REFUSES_BLOCKS_OVER = 13000


def block_errors(blocks: list[dict]) -> list[str]:
    """What Slack's SDK finds wrong with each block (empty: every block is valid and kept whole)."""
    errors = []
    for index, block in enumerate(blocks):
        parsed = Block.parse(dict(block))
        if parsed is None:
            errors.append(f"block {index}: unknown type {block.get('type')!r}")
            continue
        try:
            parsed.validate_json()
        except SlackObjectFormationError as error:
            errors.append(f"block {index}: {error}")
            continue
        if parsed.to_dict() != block:
            errors.append(f"block {index}: the SDK does not read it as sent")
    return errors


def slack_answer(body: dict) -> tuple[int, str]:
    """What Slack's incoming webhook answers to a message body."""
    blocks = body.get("blocks", [])
    if not isinstance(body.get("text"), str) or not body["text"]:
        return 400, "no_text"
    if len(blocks) > SLACK_MAX_BLOCKS or block_errors(blocks):
        return 400, "invalid_blocks"
    if len(json.dumps(blocks, ensure_ascii=False)) > SLACK_REFUSES_BLOCKS_OVER:
        return 400, "msg_blocks_too_long"
    return 200, "ok"
