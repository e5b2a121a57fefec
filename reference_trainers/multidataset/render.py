"""Single digits drawn at run time, each a pure function of (seed, index) on whatever device the indices are.

The digit shapes and the counter-based random source are the OCR trainer's
(``reference_trainers.ocr.glyphs``); here one glyph fills a square canvas at a
random scale and position, with a contrast between ink and background drawn per
sample and Gaussian pixel noise. Contrast against noise is what makes a sample
easy or hard; ``ease`` gives it without drawing the image.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from reference_trainers.ocr.glyphs import glyph_atlas, uniform

CLASSES = 10
# Random streams (see ``uniform``): each quantity draws from its own.
_LABEL, _PLACE, _CONTRAST, _NOISE = 1, 2, 3, 4


def sample_contrast(seed: int, indices: torch.Tensor, low: float, high: float) -> torch.Tensor:
    """The ink-to-background contrast of each sample, uniform in [low, high]."""
    return low + (high - low) * uniform(seed, indices, _CONTRAST, 1)[:, 0]


def ease(seed: int, indices: torch.Tensor, low: float, high: float, noise: float) -> torch.Tensor:
    """How easy each sample is to read, in (0, 1]: contrast against contrast plus noise."""
    contrast = sample_contrast(seed, indices, low, high)
    return contrast / (contrast + noise)


def render(seed: int, indices: torch.Tensor, size: int, low: float, high: float,
           noise: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Images (B, 1, size, size) in [-1, 1] and digit labels (B,) for ``indices``."""
    batch = len(indices)
    labels = (uniform(seed, indices, _LABEL, 1)[:, 0] * CLASSES).long().clamp_max(CLASSES - 1)
    place = uniform(seed, indices, _PLACE, 5)
    glyph_h = 0.6 + 0.3 * place[:, 0]  # fraction of the canvas height
    glyph_w = glyph_h * (5 / 7)
    theta = torch.zeros(batch, 2, 3, device=indices.device)
    theta[:, 0, 0] = 1 / glyph_w
    theta[:, 1, 1] = 1 / glyph_h
    theta[:, 0, 2] = -(place[:, 1] * 2 - 1) * (1 - glyph_w) / glyph_w
    theta[:, 1, 2] = -(place[:, 2] * 2 - 1) * (1 - glyph_h) / glyph_h
    grid = F.affine_grid(theta, [batch, 1, size, size], align_corners=False)
    glyphs = glyph_atlas().to(indices.device)[labels]
    ink = F.grid_sample(glyphs, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    contrast = sample_contrast(seed, indices, low, high)
    background = place[:, 3] * (1 - contrast)
    pixels = background[:, None, None, None] + contrast[:, None, None, None] * ink
    pixels = torch.where((place[:, 4] < 0.5)[:, None, None, None], pixels, 1 - pixels)  # dark or light ink
    gaussian = uniform(seed, indices, _NOISE, 2 * size * size)
    radius = torch.sqrt(-2 * torch.log(gaussian[:, ::2].clamp_min(1e-7)))
    pixels = pixels + noise * (radius * torch.cos(2 * torch.pi * gaussian[:, 1::2])).reshape(batch, 1, size, size)
    return pixels.clamp(0, 1) * 2 - 1, labels
