"""Labelled synthetic clips whose classes need time and frequency cues to tell apart.

Every clip is one event (random onset, duration, pitch and level) in background
noise at a random SNR. Generation is vectorised per class and reproducible from
a ``torch.Generator``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

CLASSES = ("steady_tone", "harmonic_tone", "up_chirp", "down_chirp", "am_tone", "noise_burst", "click_train")
RAMP_SECONDS = 0.01


@dataclass(frozen=True)
class ClipSpec:
    """What every clip shares: length, sample rate, and the ranges events are drawn from."""

    sample_rate: int
    clip_seconds: float
    min_event_seconds: float
    max_event_seconds: float
    min_frequency: float
    max_frequency: float
    min_snr_db: float
    max_snr_db: float

    @property
    def samples(self) -> int:
        return round(self.sample_rate * self.clip_seconds)


class Draw:
    """Uniform and log-uniform draws of shape (count, 1) from one generator."""

    def __init__(self, count: int, generator: torch.Generator) -> None:
        self.count, self.generator = count, generator

    def uniform(self, low: float, high: float) -> torch.Tensor:
        return low + (high - low) * torch.rand(self.count, 1, generator=self.generator, dtype=torch.float64)

    def log_uniform(self, low: float, high: float) -> torch.Tensor:
        return torch.exp(self.uniform(math.log(low), math.log(high)))


def _event_time(spec: ClipSpec, draw: Draw) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Time since onset (clamped to the event), the duration, and the on/off envelope with short ramps."""
    t = torch.arange(spec.samples, dtype=torch.float64)[None, :] / spec.sample_rate
    duration = draw.uniform(spec.min_event_seconds, spec.max_event_seconds)
    onset = draw.uniform(0.0, 1.0) * (spec.clip_seconds - duration)
    since = t - onset
    envelope = torch.clamp(torch.minimum(since, duration - since) / RAMP_SECONDS, 0.0, 1.0)
    return since.clamp(0.0, None), duration, envelope


def _tone(since: torch.Tensor, frequency: torch.Tensor) -> torch.Tensor:
    return torch.sin(2 * math.pi * frequency * since)


def steady_tone(spec: ClipSpec, draw: Draw, since: torch.Tensor, duration: torch.Tensor) -> torch.Tensor:
    return _tone(since, draw.log_uniform(spec.min_frequency, spec.max_frequency))


def harmonic_tone(spec: ClipSpec, draw: Draw, since: torch.Tensor, duration: torch.Tensor) -> torch.Tensor:
    fundamental = draw.log_uniform(spec.min_frequency, spec.max_frequency / 5)
    return sum(_tone(since, fundamental * k) / k for k in range(1, 6))


def _chirp(spec: ClipSpec, draw: Draw, since: torch.Tensor, duration: torch.Tensor, rising: bool) -> torch.Tensor:
    low = draw.log_uniform(spec.min_frequency, spec.max_frequency / 4)
    high = low * draw.uniform(2.5, 4.0)
    start, end = (low, high) if rising else (high, low)
    within = torch.minimum(since, duration)
    return torch.sin(2 * math.pi * (start * within + (end - start) * within.square() / (2 * duration)))


def up_chirp(spec: ClipSpec, draw: Draw, since: torch.Tensor, duration: torch.Tensor) -> torch.Tensor:
    return _chirp(spec, draw, since, duration, rising=True)


def down_chirp(spec: ClipSpec, draw: Draw, since: torch.Tensor, duration: torch.Tensor) -> torch.Tensor:
    return _chirp(spec, draw, since, duration, rising=False)


def am_tone(spec: ClipSpec, draw: Draw, since: torch.Tensor, duration: torch.Tensor) -> torch.Tensor:
    carrier = _tone(since, draw.log_uniform(spec.min_frequency, spec.max_frequency))
    return carrier * (0.5 + 0.5 * torch.sin(2 * math.pi * draw.uniform(4.0, 10.0) * since))


def noise_burst(spec: ClipSpec, draw: Draw, since: torch.Tensor, duration: torch.Tensor) -> torch.Tensor:
    return torch.randn(since.shape, generator=draw.generator, dtype=torch.float64)


def click_train(spec: ClipSpec, draw: Draw, since: torch.Tensor, duration: torch.Tensor) -> torch.Tensor:
    period = torch.round(spec.sample_rate / draw.uniform(8.0, 30.0))
    position = torch.round(since * spec.sample_rate)
    return ((position % period) < 2).to(torch.float64) * 3.0


GENERATORS: dict[str, Callable[[ClipSpec, Draw, torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "steady_tone": steady_tone, "harmonic_tone": harmonic_tone, "up_chirp": up_chirp, "down_chirp": down_chirp,
    "am_tone": am_tone, "noise_burst": noise_burst, "click_train": click_train,
}


def synthesise(spec: ClipSpec, labels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """(len(labels), samples) float32 waveforms, one event of class ``labels[i]`` in noise each."""
    waves = torch.zeros(len(labels), spec.samples, dtype=torch.float64)
    for index, name in enumerate(CLASSES):
        rows = (labels == index).nonzero().flatten()
        if len(rows) == 0:
            continue
        draw = Draw(len(rows), generator)
        since, duration, envelope = _event_time(spec, draw)
        event = GENERATORS[name](spec, draw, since, duration) * envelope
        power = event.square().sum(1, keepdim=True) / envelope.square().sum(1, keepdim=True).clamp(min=1.0)
        snr = 10 ** (draw.uniform(spec.min_snr_db, spec.max_snr_db) / 10)
        noise = torch.randn(event.shape, generator=generator, dtype=torch.float64) * torch.sqrt(power / snr)
        waves[rows] = (event + noise) * draw.log_uniform(0.1, 1.0) / torch.sqrt(power).clamp(min=1e-8)
    return waves.to(torch.float32)
