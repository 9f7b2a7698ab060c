"""Load citeulike-t: the shared JSONL files, or the public repository's original .dat files."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path


@dataclass
class Dataset:
    """Papers (id -> text, in file order), libraries (user, liked ids) and each paper's fold."""

    texts: dict[str, str]
    users: list[tuple[str, list[str]]]
    folds: dict[str, int]

    def split(self, fold: int) -> tuple[list[str], list[str]]:
        """(train keys, candidate keys) of a fold, each sorted: papers with a text only."""
        known = sorted(k for k in self.folds if k in self.texts)
        return [k for k in known if self.folds[k] != fold], [
            k for k in known if self.folds[k] == fold
        ]


def fold_of(j: int) -> int:
    """The README's fold rule for item ct<j>."""
    digest = sha256(("citeulike-t-item-ct" + str(j)).encode()).digest()
    return int.from_bytes(digest[:8], "big") % 5


def _jsonl(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_jsonl(folder: Path) -> Dataset:
    """items.jsonl.gz, users.jsonl.gz and folds.tsv."""
    texts = {r["id"]: r["text"] for r in _jsonl(folder / "items.jsonl.gz")}
    users = [(r["user"], list(r["liked"])) for r in _jsonl(folder / "users.jsonl.gz")]
    folds = {}
    for line in (folder / "folds.tsv").read_text().splitlines():
        if line.strip():
            key, fold = line.split("\t")
            folds[key] = int(fold)
    return Dataset(texts, users, folds)


def load_dat(folder: Path) -> Dataset:
    """mult.dat (N idx:count ...), vocabulary.dat, users.dat (count item item ...), 0-based."""
    vocabulary = (folder / "vocabulary.dat").read_text(encoding="utf-8").split()
    texts: dict[str, str] = {}
    for j, line in enumerate((folder / "mult.dat").read_text().splitlines()):
        words = []
        for pair in line.split()[1:]:
            index, count = pair.split(":")
            words += [vocabulary[int(index)]] * int(count)
        texts[f"ct{j}"] = " ".join(words)
    users = []
    for i, line in enumerate((folder / "users.dat").read_text().splitlines()):
        items = line.split()[1:]
        if items:
            users.append((f"u{i}", [f"ct{int(x)}" for x in items]))
    return Dataset(texts, users, {key: fold_of(int(key[2:])) for key in texts})


def load(folder: Path) -> Dataset:
    """Whichever form the folder holds (the JSONL files win when both are present)."""
    if (folder / "items.jsonl.gz").exists():
        return load_jsonl(folder)
    if (folder / "mult.dat").exists():
        return load_dat(folder)
    raise FileNotFoundError(
        f"{folder}: no citeulike-t data set here (neither items.jsonl.gz nor mult.dat).\n"
        f"{WHERE_TO_GET_IT}"
    )


# The data set is not in this repository: it is someone else's, published for research.
WHERE_TO_GET_IT = (
    "The benchmark needs the citeulike-t data set (Wang, Chen & Li, IJCAI 2013): download "
    "mult.dat, users.dat and vocabulary.dat from https://github.com/js05212/citeulike-t into a "
    "folder and pass it with --data DIR (the JSONL form, items.jsonl.gz + users.jsonl.gz + "
    "folds.tsv, works too)."
)
