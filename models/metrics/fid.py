"""Frechet distance between Gaussians fitted to two feature sets (Heusel et al. 2017), numpy only."""
from __future__ import annotations

import numpy as np


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def fid(real_features: np.ndarray, fake_features: np.ndarray) -> float:
    real = np.asarray(real_features, dtype=np.float64)
    fake = np.asarray(fake_features, dtype=np.float64)
    mu1, mu2 = real.mean(0), fake.mean(0)
    sigma1, sigma2 = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    root1 = _sqrt_psd(sigma1)
    # tr(sqrt(S1 S2)) = tr(sqrt(sqrt(S1) S2 sqrt(S1))), which is symmetric PSD, so eigh is exact.
    covmean_trace = np.sqrt(np.clip(np.linalg.eigvalsh(root1 @ sigma2 @ root1), 0, None)).sum()
    return float(((mu1 - mu2) ** 2).sum() + np.trace(sigma1) + np.trace(sigma2) - 2 * covmean_trace)
