"""Log-mel spectrograms with torch only: ``torch.stft`` and a triangular mel filterbank built here."""

from __future__ import annotations

import torch


def hz_to_mel(frequency: torch.Tensor) -> torch.Tensor:
    """HTK mel scale."""
    return 2595.0 * torch.log10(1.0 + frequency / 700.0)


def mel_to_hz(mel: torch.Tensor) -> torch.Tensor:
    return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)


def mel_filterbank(n_mels: int, n_fft: int, sample_rate: int, f_min: float = 0.0,
                   f_max: float | None = None) -> torch.Tensor:
    """(n_mels, n_fft // 2 + 1) triangular filters, evenly spaced on the mel scale, peaks at 1."""
    f_max = sample_rate / 2 if f_max is None else f_max
    bins = torch.linspace(0.0, sample_rate / 2, n_fft // 2 + 1, dtype=torch.float64)
    edges = mel_to_hz(torch.linspace(float(hz_to_mel(torch.tensor(f_min))), float(hz_to_mel(torch.tensor(f_max))),
                                     n_mels + 2, dtype=torch.float64))
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins - lower) / (centre - lower)
    falling = (upper - bins) / (upper - centre)
    return torch.clamp(torch.minimum(rising, falling), min=0.0).to(torch.float32)


def log_mel(waves: torch.Tensor, filterbank: torch.Tensor, n_fft: int, hop_length: int) -> torch.Tensor:
    """(batch, samples) waveforms -> (batch, n_mels, frames) natural-log mel power."""
    window = torch.hann_window(n_fft, device=waves.device)
    spectrum = torch.stft(waves, n_fft=n_fft, hop_length=hop_length, window=window, center=True,
                          return_complex=True)
    power = spectrum.real.square() + spectrum.imag.square()
    return torch.log(filterbank.to(waves.device) @ power + 1e-6)
