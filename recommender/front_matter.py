"""Journal front matter: items a feed lists that are not papers (news, editorials, corrections).

They are stored like any item, but never recommended: a title alone cannot say why to read them.
"""

from __future__ import annotations

import re

# Whole titles journals give their recurring sections.
_SECTION_TITLES = (
    r"news at a glance|in brief|in this issue|this week in \w+|editorial|editor'?s'? note"
    r"|editors'? choice|table of contents|contents|front matter|back matter|masthead"
    r"|about the cover|on the cover|research highlights|in other journals|new products"
    r"|corrections?|errat(?:um|a)|corrigend(?:um|a)|retraction|expression of concern"
)
# Notices named by their first words: "Correction: ...", "Retraction Note: ...".
_NOTICE_PREFIX = (
    r"(?:author |publisher )?correction|errat(?:um|a)|corrigendum|retraction(?: note)?"
    r"|expression of concern|editorial"
)
_FRONT_MATTER = re.compile(
    rf"^\s*(?:(?:{_SECTION_TITLES})\s*[.!]?\s*$|(?:{_NOTICE_PREFIX})\s*(?:to|for)?\s*[:—–-])",
    re.IGNORECASE,
)


def is_front_matter(title: str) -> bool:
    """True for a section title ("News at a glance") or a notice ("Correction: …")."""
    return bool(_FRONT_MATTER.match(title))
