"""Pure ranking: text model, profiles, fused scoring, MMR selection and reasons.

numpy/scipy/sklearn only: no database, HTTP, mail, file paths or clock.
"""

from recommender.ranking.config import RankerConfig
from recommender.ranking.crowd import CrowdModel
from recommender.ranking.inputs import Candidate, LikedText, ProfileInput
from recommender.ranking.ranker import Ranker
from recommender.ranking.vectorize import FittedText, is_stale

__all__ = [
    "Candidate",
    "CrowdModel",
    "FittedText",
    "LikedText",
    "ProfileInput",
    "Ranker",
    "RankerConfig",
    "is_stale",
]
