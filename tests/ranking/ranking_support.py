"""A small corpus of distinct topics shared by the ranking tests (imported by name, so
collecting several test folders at once cannot pick up another folder's conftest)."""

from __future__ import annotations

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
