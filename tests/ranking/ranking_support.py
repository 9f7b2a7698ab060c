"""A small corpus of distinct topics shared by the ranking tests (imported by name, so
collecting several test folders at once cannot pick up another folder's conftest)."""

from __future__ import annotations

import numpy as np

from recommender.ranking import Candidate, LikedText

QUANTUM = [
    "quantum error correction with surface codes and logical qubits",
    "superconducting qubits for quantum computing hardware",
    "decoding surface code syndromes for fault tolerant qubits",
    "fault tolerant quantum computation thresholds with logical qubits",
    "quantum error mitigation on noisy superconducting qubits",
]
GALAXIES = [
    "galaxy formation in cosmological simulations of dark matter",
    "dark matter halos and galaxy rotation curves",
    "stellar populations of dwarf galaxy satellites in dark matter halos",
    "cosmological simulations of galaxy clusters",
    "galaxy mergers and supermassive black holes in cosmological simulations",
]
OTHER = [
    "deep learning for image classification with convolutional networks",
    "transformer language models and attention mechanisms",
    "protein folding with molecular dynamics simulations",
    "reinforcement learning for robotic control policies",
    "bayesian inference with markov chain monte carlo sampling",
    "climate models and ocean circulation patterns",
    "single cell rna sequencing analysis pipelines",
    "crispr gene editing in human cells",
    "graph neural networks for molecular property prediction",
    "gravitational waves from binary black hole mergers",
]
CORPUS = QUANTUM + GALAXIES + OTHER


# Three fields with disjoint words. Readers of sea-ice papers also read penguin papers (the
# words never say so); a third field, bridges, nobody reads together with sea ice.
FIELDS = {
    "ice": "sea ice arctic melt albedo floe polar thickness satellite winter",
    "penguin": "penguin colony breeding foraging chick krill rookery adult plumage census",
    "bridge": "bridge steel girder load fatigue weld span deck cable pylon",
}


def paper(field: str, i: int) -> str:
    """A distinct text of a field: eight of its ten words, chosen by i."""
    words = FIELDS[field].split()
    rng = np.random.default_rng(i)
    return " ".join(rng.choice(words, size=8, replace=False))


def library(fields: tuple[str, ...], user: int) -> list[LikedText]:
    """Three old papers of each field, picked by user number."""
    return [
        LikedText(f"{field}{(user * 7 + j) % 40}", paper(field, (user * 7 + j) % 40))
        for field in fields
        for j in range(3)
    ]


# 160 libraries of sea ice + penguin papers, then 160 of bridges: 320, above the default
# crowd_min_users (300).
READERS = [library(("ice", "penguin"), u) for u in range(160)] + [
    library(("bridge",), u) for u in range(160)
]
CROWD_NEW = [
    Candidate(f"new-{f}{i}", paper(f, 1000 + i)) for f in ("penguin", "bridge") for i in range(5)
]
CROWD_CORPUS = [doc.text for lib in READERS for doc in lib] + [c.text for c in CROWD_NEW]
