"""Caption parsing: hashtags and @mentions, as Instagram reads them."""

from __future__ import annotations

import re

HASHTAG = re.compile(r"(?<![\w#])#(\w{1,100})")
MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9._]{1,30})")


def hashtags(text: str) -> list[str]:
    """Distinct lower-cased tags in order of first appearance."""
    return list(dict.fromkeys(tag.lower() for tag in HASHTAG.findall(text)))


def mentions(text: str) -> list[str]:
    """Distinct lower-cased usernames in order of first appearance (trailing dots are punctuation)."""
    names = (name.rstrip(".").lower() for name in MENTION.findall(text))
    return list(dict.fromkeys(name for name in names if name))
