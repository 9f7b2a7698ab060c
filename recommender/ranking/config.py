"""RankerConfig: every knob of the text model and the scoring, with the reason for its default."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class RankerConfig(BaseModel):
    """Settings of `Ranker`; the defaults are the ones measured in benchmarks/RESULTS.md."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    weighting: Literal["bm25", "tfidf"] = Field(
        default="bm25",
        description="Term weights: BM25 (saturating tf, length-normalised) or TF-IDF with "
        "sublinear tf (1 + log tf); both use idf and unit-length rows.",
    )
    bm25_k1: float = Field(
        default=3.5,
        gt=0,
        description="BM25 tf saturation; larger saturates later. 3.5 (was the textbook 1.2): "
        "about +0.2 points recall@20, recall@100 and nDCG@10 on citeulike-t (1.6-2.5 between).",
    )
    bm25_b: float = Field(default=0.75, ge=0, le=1, description="BM25 length normalisation.")
    ngram_max: int = Field(
        default=1,
        ge=1,
        le=3,
        description="Longest word n-gram; 2 adds phrases for text with word order. Unigrams "
        "by default: bigrams could not be validated on the bag-of-words benchmark.",
    )
    min_df: int = Field(default=2, ge=1, description="Drop terms seen in fewer papers.")
    max_df: float = Field(
        default=0.5, gt=0, le=1, description="Drop terms seen in a larger share of papers."
    )
    stop_words: Literal["english"] | None = Field(
        default="english", description="Stop-word list removed before weighting."
    )
    topic_dims: int = Field(
        default=128,
        ge=2,
        description="Rank of the LSA (truncated SVD) topic space; lower = broader matching.",
    )
    whitening: float = Field(
        default=20.0,
        gt=0,
        description="Shrinkage of the term view's covariance: topic direction j is damped by "
        "lambda_j / (lambda_j + whitening * noise); larger damps less (20, was 10: within "
        "noise on citeulike-t, see benchmarks/RESULTS.md).",
    )
    profile_terms: int = Field(
        default=512,
        ge=0,
        description="Keep only a profile's N heaviest terms (0 = all); bounds the cost of the "
        "term view for large libraries. 512 (was 256): +0.8 points recall@100 for libraries "
        "above 50 likes on citeulike-t; 1,024 or all terms gained no more.",
    )
    topic_weight: float = Field(
        default=2.0,
        ge=0,
        description="Weight of the topic (LSA) view against the specific-term view when the "
        "two standardised similarities are added, for a library of 8 liked papers.",
    )
    topic_weight_exponent: float = Field(
        default=0.25,
        ge=0,
        description="The topic view's weight scales as (8 / distinct liked papers) ** this: "
        "a small library's term profile is noisy, so it leans on topics; a large one on its "
        "specific terms (0 = the same weight for every library).",
    )
    profile_power: float = Field(
        default=0.6,
        gt=0,
        le=1,
        description="The term profile's weights are raised to this power (sign kept) before "
        "it is scaled to unit length: below 1 flattens it, so terms of a few liked papers are "
        "not drowned by the ones all of them share (1 = the plain Rocchio mean).",
    )
    crowd_weight: float = Field(
        default=1.0,
        ge=0,
        description="Weight of the crowd view (what other readers' libraries teach about a "
        "paper's words; see ranking/crowd.py), in units of the spread of r over the corpus "
        "sample. 0 turns it off.",
    )
    crowd_min_users: int = Field(
        default=300,
        ge=2,
        description="The crowd view needs at least this many users with likes; below, ranking "
        "uses the user's own likes only (on citeulike-t it breaks even at 200-250 users and "
        "gains about +1% recall@100 at 300, +2% at 500, +3% at 1,000, +5% at 3,000).",
    )
    crowd_factors: int = Field(
        default=128, ge=2, description="Dimensions of the co-like space (truncated SVD)."
    )
    crowd_ridge: float = Field(
        default=3.0, gt=0, description="Ridge penalty of the map from words to co-like factors."
    )
    appeal_weight: float = Field(
        default=0.2,
        ge=0,
        description="Weight of the crowd model's appeal (which kinds of paper readers save at "
        "all, predicted from the words), in units of the spread of r over the corpus sample; "
        "fitted with the crowd model (from crowd_min_users users). 0 turns it off. 0.2: +0.25 "
        "points recall@100 on citeulike-t (every fold +0.2 to +0.4), +0.1 recall@20; 0.2-0.4 "
        "alike, 0.6 worse.",
    )

    semantic_weight: float = Field(
        default=0.0,
        ge=0,
        description="Weight of the semantic view (WordLlama embeddings, the `semantic` extra; "
        "see ranking/semantic.py), in units of the spread of r over the corpus sample. 0 (the "
        "default) turns it off: on citeulike-t it gained +0.4 points recall@100, within noise.",
    )
    semantic_pivot: float = Field(
        default=0.0,
        ge=0,
        description="With a pivot a > 0 the semantic weight shrinks with library size: "
        "semantic_weight x a / (a + liked papers); 0 = the same weight for every library.",
    )
    reference_size: int = Field(
        default=500,
        ge=50,
        description="Corpus papers kept to standardise each user's similarities, so a "
        "score does not depend on which other candidates arrived with it.",
    )
    dislike_weight: float = Field(
        default=0.5, ge=0, description="Rocchio weight pushing the profile away from dislikes."
    )
    keyword_weight: float = Field(
        default=0.5,
        ge=0,
        description="Weight of the keyword pseudo-paper relative to the mean liked paper.",
    )
    followed_author_boost: float = Field(
        default=0.5,
        ge=0,
        description="Added to the relative closeness r of a paper by a followed author.",
    )
    diversity: float = Field(
        default=0.1,
        ge=0,
        lt=1,
        description="MMR trade-off when picking the top k: 0 = pure score; higher penalises "
        "papers whose topic repeats one already picked.",
    )
    diversity_depth: int = Field(
        default=20,
        ge=0,
        description="MMR makes the first N picks (what a digest shows); the rest follow the "
        "score, which keeps k = 100 cheap.",
    )
    diversity_pool: int = Field(
        default=3, ge=1, description="MMR chooses among the best pool * depth papers."
    )
    interest_topics: int = Field(
        default=50,
        ge=1,
        description="Corpus-wide topic clusters used to split a library into interests.",
    )
    interest_min_share: float = Field(
        default=0.15,
        gt=0,
        le=1,
        description="A topic holding at least this share of a user's likes is an interest "
        "whose best candidate is guaranteed a place in the top k.",
    )
    interest_slots: int = Field(
        default=3, ge=0, description="At most this many guaranteed places (and at most k/2)."
    )
    user_chunk: int = Field(
        default=1024, ge=1, description="Users scored together; bounds memory for 100k users."
    )
    reason_terms: int = Field(default=3, ge=1, description="Shared terms shown as a reason.")
    random_state: int = Field(default=0, description="Seed of the SVD and reference sample.")

    @property
    def crowd_on(self) -> bool:
        """The crowd model is fitted and used: its view or its appeal has a weight."""
        return self.crowd_weight > 0 or self.appeal_weight > 0
