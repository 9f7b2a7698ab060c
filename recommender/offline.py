"""`papersift rank-offline`: rank JSONL candidates for JSONL users with the live ranker.

Inputs (one JSON object a line):
  papers P, candidates C: {"id": str, "text": str} or {"id": str, "title": str, "abstract": str}
  likes L:                {"user": str, "liked": [ids from P], "disliked": [ids from P]}
Output O, one line per line of L, in order: {"user": str, "ranked": [up to K ids from C]}.

The ranker is fitted on the texts of P and C only, with the default RankerConfig: the same
code and defaults as the live job. Malformed input (broken JSON, a missing id or text field,
a duplicate) raises InputError naming file and line. A paper whose text is empty is skipped with
one warning per file (the count and the first ids): as a candidate it is left out of every
ranking, as a liked or disliked paper it adds nothing. An unknown id or a user without usable
likes is a warning too, and that user still gets a line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from recommender.errors import InputError
from recommender.ranking import Candidate, LikedText, ProfileInput, Ranker, RankerConfig

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class LikesLine:
    """One line of the likes file: a user, the ids liked and disliked, its line number."""

    user: str
    liked: list[str]
    disliked: list[str] = field(default_factory=list)
    line: int = 0


@dataclass
class OfflineReport:
    """What a run did: users written, papers skipped for empty text, the warnings to show."""

    users: int
    warnings: list[str] = field(default_factory=list)
    skipped: int = 0


@dataclass(frozen=True)
class PaperFile:
    """The papers of one JSONL file: id -> text, and the ids whose text was empty."""

    texts: dict[str, str]
    empty: list[str] = field(default_factory=list)

    def empty_warning(self, path: Path | str) -> list[str]:
        """One warning naming the count and the first few skipped ids (none when none)."""
        if not self.empty:
            return []
        shown = ", ".join(map(repr, self.empty[:SHOWN_IDS]))
        more = " ..." if len(self.empty) > SHOWN_IDS else ""
        return [f"{path}: {len(self.empty)} paper(s) with empty text skipped: {shown}{more}"]


SHOWN_IDS = 3


def _records(path: Path) -> list[tuple[int, dict[str, object]]]:
    """Non-blank JSON objects of a JSONL file with their 1-based line numbers."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot be read ({error})", "Pass a UTF-8 JSONL file.") from None
    out = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(
                f"{path}:{number}: not valid JSON ({error.msg})", "Write one JSON object a line."
            ) from None
        if not isinstance(record, dict):
            raise InputError(f"{path}:{number}: not a JSON object", "Write one object a line.")
        out.append((number, record))
    return out


def read_papers(path: Path) -> PaperFile:
    """id -> text from a papers/candidates file (text, or title + abstract); empty ones apart."""
    papers: dict[str, str] = {}
    empty: list[str] = []
    seen: set[str] = set()
    for number, record in _records(path):
        where = f"{path}:{number}"
        paper_id = record.get("id")
        if not isinstance(paper_id, str) or not paper_id:
            raise InputError(f"{where}: missing field 'id'", 'Give each paper an "id" string.')
        if "text" in record:
            text = record["text"]
        elif "title" in record:
            text = f"{record.get('title') or ''}. {record.get('abstract') or ''}"
        else:
            raise InputError(
                f"{where}: missing field 'text' (or 'title' and 'abstract')",
                'Give each paper "text", or "title" and "abstract".',
            )
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise InputError(f"{where}: 'text' of {paper_id!r} must be a string", "Fix the line.")
        if paper_id in seen:
            raise InputError(f"{where}: duplicate id {paper_id!r}", "Keep one line per id.")
        seen.add(paper_id)
        if not text.strip(" .\n\t"):
            empty.append(paper_id)
        else:
            papers[paper_id] = text.strip()
    return PaperFile(papers, empty)


def _ids(record: dict[str, object], name: str, where: str) -> list[str]:
    """A list-of-strings field of a likes line."""
    value = record.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: '{name}' must be a list of id strings", "Fix the line.")
    return list(value)


def read_likes(path: Path) -> list[LikesLine]:
    """The users of a likes file, in file order."""
    users: list[LikesLine] = []
    seen: set[str] = set()
    for number, record in _records(path):
        where = f"{path}:{number}"
        user = record.get("user")
        if not isinstance(user, str) or not user:
            raise InputError(f"{where}: missing field 'user'", 'Give each line a "user" string.')
        if "liked" not in record:
            raise InputError(f"{where}: missing field 'liked'", 'Add "liked": [ids].')
        if user in seen:
            raise InputError(f"{where}: duplicate user {user!r}", "Keep one line per user.")
        seen.add(user)
        users.append(
            LikesLine(user, _ids(record, "liked", where), _ids(record, "disliked", where), number)
        )
    return users


def profiles_from_likes(
    papers: dict[str, str],
    users: Sequence[LikesLine],
    source: str = "likes",
    textless: frozenset[str] = frozenset(),
) -> tuple[list[ProfileInput], list[str]]:
    """ProfileInputs for the likes lines, and a warning for each unknown id or empty user.

    Ids in `textless` are known papers without text: they add nothing, silently (the file's
    own warning has already named them).
    """
    warnings: list[str] = []
    profiles: list[ProfileInput] = []
    for entry in users:
        ids = (*entry.liked, *entry.disliked)
        unknown = [i for i in ids if i not in papers and i not in textless]
        if unknown:
            shown = ", ".join(map(repr, unknown[:3])) + (" ..." if len(unknown) > 3 else "")
            warnings.append(f"{source}:{entry.line}: {len(unknown)} unknown id(s) ignored: {shown}")
        liked = [LikedText(i, papers[i]) for i in dict.fromkeys(entry.liked) if i in papers]
        disliked = [LikedText(i, papers[i]) for i in dict.fromkeys(entry.disliked) if i in papers]
        if not liked:
            warnings.append(
                f"{source}:{entry.line}: user {entry.user!r} has no usable likes; "
                "written with an empty ranking"
            )
        profiles.append(ProfileInput(entry.user, liked, disliked))
    return profiles, warnings


def rank_users(
    papers: dict[str, str],
    candidates: dict[str, str],
    users: Sequence[LikesLine],
    top: int,
    *,
    source: str = "likes",
    progress: Progress | None = None,
    textless: frozenset[str] = frozenset(),
) -> tuple[dict[str, list[str]], list[str]]:
    """Fit on P + C with the default config and rank candidate ids for each user."""
    ranker = Ranker(RankerConfig())
    fitted = ranker.fit([*papers.values(), *candidates.values()])
    profiles, warnings = profiles_from_likes(papers, users, source, textless)
    pool = [Candidate(key, text) for key, text in candidates.items()]
    # Every user of L teaches the crowd view (from 300 users with likes on; see crowd.py).
    crowd = ranker.fit_crowd(fitted, [profile.liked for profile in profiles])
    # Only the order is written, so the reasons are not built (same scores and picks).
    result = ranker.rank(fitted, profiles, pool, top, progress=progress, explain=False, crowd=crowd)
    return {user: [p.paper_key for p in items] for user, items in result.items()}, warnings


def run_rank_offline(
    papers_path: Path | str,
    candidates_path: Path | str,
    likes_path: Path | str,
    top: int,
    out_path: Path | str,
    *,
    progress: Progress | None = None,
) -> OfflineReport:
    """Read P, C and L, rank the top `top` candidates per user, write O; see the module doc."""
    if top < 1:
        raise InputError(f"--top {top} is not a positive number", "Pass --top 1 or more.")
    papers = read_papers(Path(papers_path))
    candidates = read_papers(Path(candidates_path))
    users = read_likes(Path(likes_path))
    ranked, warnings = rank_users(
        papers.texts,
        candidates.texts,
        users,
        top,
        source=str(likes_path),
        progress=progress,
        textless=frozenset(papers.empty),
    )
    lines = [json.dumps({"user": u.user, "ranked": ranked.get(u.user, [])}) for u in users]
    Path(out_path).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    skipped = papers.empty_warning(papers_path) + candidates.empty_warning(candidates_path)
    return OfflineReport(
        users=len(users),
        warnings=skipped + warnings,
        skipped=len(papers.empty) + len(candidates.empty),
    )
