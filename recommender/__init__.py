"""Papersift: a self-hosted recommendation and alert engine for scientific papers."""

__version__ = "0.1.0"
