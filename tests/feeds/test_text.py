"""clean_text and the author-list splitters."""

from __future__ import annotations

from recommender.text import (
    clean_text,
    flip_name,
    short_title,
    split_anchor_authors,
    split_authors,
    split_surname_first,
)


def test_clean_text_decodes_entities_also_when_escaped_twice() -> None:
    assert clean_text("Electronic &amp;amp; Computer") == "Electronic & Computer"
    assert clean_text("Promises &amp; Perils &#8211; &#x3b1;") == "Promises & Perils – α"


def test_clean_text_leaves_ampersands_that_are_not_entities() -> None:
    assert clean_text("R&D on the &parameter space") == "R&D on the &parameter space"


def test_clean_text_strips_tags_and_joins_hard_wraps() -> None:
    raw = "&lt;p&gt;In this paper, we present\nOMP2MPI a <b>tool</b>.\n&lt;/p&gt;<p>Next</p>"
    assert clean_text(raw) == "In this paper, we present OMP2MPI a tool. Next"


def test_clean_text_keeps_tex_and_comparisons() -> None:
    text = r"Mat\'ern with $\mathcal{O}(n^3)$, 46.62\% and $a<b$ but p <0.05 and c> d"
    assert clean_text(text) == text
    assert clean_text(r"Jakob Knollm\"uller") == r"Jakob Knollm\"uller"


def test_clean_text_of_nothing() -> None:
    assert clean_text(None) == ""
    assert clean_text(" \n\t ") == ""


def test_split_authors_comma_joined() -> None:
    assert split_authors("Matteo Gasparin, Aaditya Ramdas") == ["Matteo Gasparin", "Aaditya Ramdas"]
    assert split_authors("A. One, B. Two and C. Three") == ["A. One", "B. Two", "C. Three"]


def test_split_authors_surname_initials_pairs() -> None:
    names = "LAPALU, N., Lu, A., Plaumann, P.-L., O'Connell, R. J."
    assert split_authors(names) == ["N. LAPALU", "A. Lu", "P.-L. Plaumann", "R. J. O'Connell"]
    assert split_authors("Fuentes, A.") == ["A. Fuentes"]


def test_split_surname_first_biorxiv_style() -> None:
    assert split_surname_first("Dehghan Manshadi, M.; Setoodeh, P.; Zhao, Y.-Y.") == [
        "M. Dehghan Manshadi",
        "P. Setoodeh",
        "Y.-Y. Zhao",
    ]


def test_flip_name() -> None:
    assert flip_name("Müller, Hans") == "Hans Müller"
    assert flip_name("King, Jr, Martin") == "Martin King Jr"
    assert flip_name("ATLAS Collaboration") == "ATLAS Collaboration"


def test_split_anchor_authors_drops_inline_affiliations() -> None:
    markup = (
        '<a href="http://arxiv.org/find/cs/1/au:+F_K/0/1/0/all/0/1">Konstantinos Fysarakis</a> (1), '
        '<a href="http://arxiv.org/find/cs/1/au:+M_D/0/1/0/all/0/1">Damianos Mylonakis</a> (2) '
        "((1) Dept. of Electronic &amp;amp; Computer Engineering, (2) University of Crete)"
    )
    assert split_anchor_authors(markup) == ["Konstantinos Fysarakis", "Damianos Mylonakis"]
    assert split_anchor_authors("Ann Lee (1), Bo Chen (2) ((1) MIT, (2) ETH)") == [
        "Ann Lee",
        "Bo Chen",
    ]


def test_clean_text_drops_script_and_style_with_their_content_escaped_or_not() -> None:
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;Robust Decoding of &lt;i&gt;Codes&lt;/i&gt;"
    assert clean_text(escaped) == "Robust Decoding of Codes"
    raw = '<style type="text/css">p { color: red }</style>On <SCRIPT>x()</SCRIPT>graphs'
    assert clean_text(raw) == "On graphs"
    assert clean_text("&lt;script src=x&gt;Unclosed tag") == "Unclosed tag"
    assert clean_text("a <scripted> b, $x<style$") == "a <scripted> b, $x<style$"


def test_short_title_cuts_at_a_word_boundary_with_an_ellipsis() -> None:
    title = "Frequency of Hot Jupiters and Very Hot Jupiters from the OGLE-III Transit Surveys"
    assert short_title(title, 40) == "Frequency of Hot Jupiters and Very Hot…"
    assert len(short_title(title, 40)) <= 40
    assert short_title(title, 200) == title
    assert short_title("Supercalifragilisticexpialidocious", 10) == "Supercali…"  # one long word
    assert short_title("Graphs: a survey of results", 9) == "Graphs…"  # no dangling colon
