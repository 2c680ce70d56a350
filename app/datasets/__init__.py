"""Datasets: turning uploaded images into a normalised, split dataset folder (no FastAPI here)."""
