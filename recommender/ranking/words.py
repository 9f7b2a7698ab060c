"""Words that never explain a pick: abstract boilerplate, LaTeX and citation tokens; the
plain plural fold that makes "models" and "model" one word."""

from __future__ import annotations

# Words every abstract uses: they would top every chart and name every pick alike.
BOILERPLATE = frozenset(
    """
    achieve aim allow allowed allowing also approach art average based better called
    challenge challenging combining competitive crucial explore explored exploring findings
    further gain highlight insight investigate investigated reveal remain remaining suggest
    comprehensive demonstrate demonstrated different difficulty direct effect effective
    enable enables enhance enhances existing experiment facilitate facilitates finding first
    foster however improve improved improving increase increased increases inspiration
    instead introduce key lack large lead leading like limiting method model named
    necessary new nonetheless novel number obtain obtained overcome paper performance
    potentially present problem promising propose proposed provide range recent recently
    relevant remarkable result second seen shared show showing shown significant significantly state
    strategy study subsequent summarize tackle tackles task term unfortunately use used
    using usually various way well wide widely work yield yields
    """.split()  # noqa: SIM905 - a word list reads best as words
)
# Tokens of LaTeX markup and citations ("et al.") that abstracts carry; no reader's topic.
MARKUP = frozenset(
    """
    al cdot eg emph epsilon et etal etc frac ge geq ie ldots le left leq log mathbb mathcal
    mathrm omega right sqrt textbf textit tilde varepsilon widetilde
    """.split()  # noqa: SIM905
)


def is_too_short(word: str) -> bool:
    """Two-letter tokens ("rm", "ai"): an abbreviation out of its phrase says nothing."""
    return len(word) < 3


def is_adverb(word: str) -> bool:
    """`largely`, `efficiently`, `usually`: how a paper says things, never what about.

    Long words only, so `tally` and `rally` stay; `anomaly` and `family` are not matched."""
    return len(word) >= 7 and word.endswith(("ally", "ully", "ely", "tly"))


def fold(word: str) -> str:
    """`models` -> `model`; short words and -ss words stay (`loss`, `gas`)."""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word
