"""Digit glyphs and a counter-based random source, both defined here (no fonts, no downloads).

Rendering is batched and runs on whatever device the indices live on: each
sample's randomness is a pure function of (seed, split, index), so a dataset is
reproducible whatever the batch composition, worker count or device.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

# 5x7 bitmaps, one string per row, '#' is ink.
DIGIT_BITMAPS = {
    "0": (".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."),
    "1": ("..#..", ".##..", "#.#..", "..#..", "..#..", "..#..", "#####"),
    "2": (".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"),
    "3": ("####.", "....#", "....#", ".###.", "....#", "....#", "####."),
    "4": ("...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."),
    "5": ("#####", "#....", "####.", "....#", "....#", "#...#", ".###."),
    "6": ("..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."),
    "7": ("#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."),
    "8": (".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."),
    "9": (".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."),
}
ALPHABET = "0123456789"
BLANK = 0  # CTC blank; digit d has class d + 1
MAX_LENGTH = 8
MIN_LENGTH = 4
_MASK32 = 0xFFFFFFFF


def glyph_atlas() -> torch.Tensor:
    """(10, 1, 7, 5) float tensor of the digit bitmaps, ink = 1."""
    rows = [[[1.0 if pixel == "#" else 0.0 for pixel in row] for row in DIGIT_BITMAPS[digit]] for digit in ALPHABET]
    return torch.tensor(rows).unsqueeze(1)


def _mix32(values: torch.Tensor) -> torch.Tensor:
    """A 32-bit integer hash (xorshift-multiply rounds) on int64 tensors holding 32-bit values."""
    values = values & _MASK32
    values = ((values ^ (values >> 16)) * 0x7FEB352D) & _MASK32
    values = ((values ^ (values >> 15)) * 0x2C1B3C6D) & _MASK32
    return values ^ (values >> 16)


def uniform(seed: int, indices: torch.Tensor, stream: int, count: int) -> torch.Tensor:
    """(len(indices), count) uniforms in [0, 1), a pure function of (seed, index, stream, column)."""
    columns = torch.arange(count, device=indices.device, dtype=torch.int64)
    key = _mix32(indices.to(torch.int64).unsqueeze(1) * 0x27D4EB2F + _mix32(torch.tensor(seed * 977 + stream)))
    return _mix32(key + columns * 0x165667B1).to(torch.float32) / 2.0**32


def sample_labels(seed: int, indices: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Digit classes (B, MAX_LENGTH, padded with 0) and lengths (B,) for each index."""
    span = MAX_LENGTH - MIN_LENGTH + 1
    lengths = MIN_LENGTH + (uniform(seed, indices, 1, 1)[:, 0] * span).long().clamp_max(span - 1)
    digits = (uniform(seed, indices, 2, MAX_LENGTH) * 10).long().clamp_max(9)
    positions = torch.arange(MAX_LENGTH, device=indices.device)
    labels = torch.where(positions < lengths.unsqueeze(1), digits + 1, torch.zeros_like(digits))
    return labels, lengths


def _normal(seed: int, indices: torch.Tensor, stream: int, count: int) -> torch.Tensor:
    """Standard normals via Box-Muller over two uniform streams."""
    first = uniform(seed, indices, stream, count).clamp_min(1e-7)
    second = uniform(seed, indices, stream + 1, count)
    return torch.sqrt(-2.0 * torch.log(first)) * torch.cos(2.0 * torch.pi * second)


def _layout(seed: int, indices: torch.Tensor, lengths: torch.Tensor, height: int, width: int,
            jitter: float) -> torch.Tensor:
    """(B, MAX_LENGTH, 2, 3) affine maps from canvas to glyph coordinates."""
    params = uniform(seed, indices, 10, 6)
    glyph_h = height * (0.55 + 0.25 * params[:, 0])
    glyph_w = glyph_h * (5 / 7) * (0.85 + 0.3 * params[:, 1])
    advance = glyph_w * (1.1 + 0.3 * params[:, 2])
    shrink = (width * 0.96 / (advance * lengths)).clamp_max(1.0)
    glyph_h, glyph_w, advance = glyph_h * shrink, glyph_w * shrink, advance * shrink
    start = (width - advance * lengths) * params[:, 3]
    slot_jitter = (uniform(seed, indices, 11, MAX_LENGTH) - 0.5) * jitter
    centre_x = start.unsqueeze(1) + advance.unsqueeze(1) * (torch.arange(MAX_LENGTH, device=indices.device) + 0.5)
    centre_y = height / 2 + (params[:, 4:5] - 0.5) * (height - glyph_h.unsqueeze(1)) + slot_jitter * glyph_h[:, None]
    shear = ((params[:, 5] - 0.5) * 0.6).unsqueeze(1).expand(-1, MAX_LENGTH)
    half_w, half_h = (glyph_w / 2).unsqueeze(1), (glyph_h / 2).unsqueeze(1)
    theta = torch.zeros(len(indices), MAX_LENGTH, 2, 3, device=indices.device)
    theta[..., 0, 0] = width / 2 / half_w
    theta[..., 0, 1] = shear * height / 2 / half_h
    theta[..., 0, 2] = (width / 2 - centre_x) / half_w + shear * (height / 2 - centre_y) / half_h
    theta[..., 1, 1] = height / 2 / half_h
    theta[..., 1, 2] = (height / 2 - centre_y) / half_h
    return theta


def _affine_grid(theta: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """``F.affine_grid(theta, ..., align_corners=False)`` by broadcasting (several times faster on CPU)."""
    xs = (torch.arange(width, device=theta.device) * 2 + 1) / width - 1
    ys = (torch.arange(height, device=theta.device) * 2 + 1) / height - 1
    rows = [theta[:, row, 0, None, None] * xs + theta[:, row, 1, None, None] * ys[:, None]
            + theta[:, row, 2, None, None] for row in (0, 1)]
    return torch.stack(rows, dim=-1)


def _blur(images: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Per-sample 3x3 Gaussian blur (sigma 0 leaves the image as it is)."""
    offsets = torch.tensor([-1.0, 0.0, 1.0], device=images.device)
    weights = torch.exp(-(offsets**2) / (2 * sigma.clamp_min(1e-3).unsqueeze(1) ** 2))
    weights = weights / weights.sum(dim=1, keepdim=True)
    kernels = (weights.unsqueeze(2) * weights.unsqueeze(1)).unsqueeze(1)
    batch = images.shape[0]
    blurred = F.conv2d(images.reshape(1, batch, *images.shape[2:]), kernels, padding=1, groups=batch)
    return blurred.reshape_as(images)


def render(seed: int, indices: torch.Tensor, height: int = 32, width: int = 128, noise: float = 0.1,
           blur: float = 1.0, jitter: float = 0.15) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Render the digit strings of ``indices``: images (B, 1, H, W) in [-1, 1], labels, lengths."""
    labels, lengths = sample_labels(seed, indices)
    batch = len(indices)
    theta = _layout(seed, indices, lengths, height, width, jitter).reshape(batch * MAX_LENGTH, 2, 3)
    atlas = glyph_atlas().to(indices.device)
    glyphs = atlas[(labels - 1).clamp_min(0).reshape(-1)]
    grid = _affine_grid(theta, height, width)
    ink = F.grid_sample(glyphs, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    ink = ink.reshape(batch, MAX_LENGTH, height, width) * (labels > 0).float()[..., None, None]
    ink = ink.amax(dim=1, keepdim=True)
    look = uniform(seed, indices, 20, 4)
    ink = _blur(ink, look[:, 0] * blur)
    background = (0.3 * look[:, 1])[:, None, None, None]
    foreground = (0.65 + 0.35 * look[:, 2])[:, None, None, None]
    noise_level = (noise * look[:, 3])[:, None, None, None]
    pixels = background + (foreground - background) * ink
    pixels = pixels + noise_level * _normal(seed, indices, 30, height * width).reshape(batch, 1, height, width)
    return pixels.clamp(0, 1) * 2 - 1, labels, lengths
