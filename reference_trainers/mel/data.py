"""The HDF5 dataset: building it from synthetic clips, and reading it in batches in DataLoader workers.

One file holds ``<split>/features`` (clips x mel bands x frames, float16, one
chunk per clip) and ``<split>/labels`` for ``train``, ``val`` and ``test``; its attributes
are the synthesis and feature parameters, the class names and the training
split's feature mean and standard deviation.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from reference_trainers.common.errors import UsageError
from reference_trainers.mel.features import log_mel, mel_filterbank
from reference_trainers.mel.synth import CLASSES, ClipSpec, synthesise

log = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")
CHUNK_CLIPS = 1024
SPEC_FIELDS = tuple(field.name for field in dataclasses.fields(ClipSpec))


def clip_spec(clips: Mapping[str, Any]) -> ClipSpec:
    return ClipSpec(**{name: clips[name] for name in SPEC_FIELDS})


def build_split(clips: Mapping[str, Any], size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``size`` clips with balanced, shuffled labels: (features float16, labels int64)."""
    generator = torch.Generator().manual_seed(seed)
    spec = clip_spec(clips)
    labels = (torch.arange(size) % len(CLASSES))[torch.randperm(size, generator=generator)]
    filterbank = mel_filterbank(clips["n_mels"], clips["n_fft"], clips["sample_rate"], f_max=clips["sample_rate"] / 2)
    chunks = []
    for start in range(0, size, CHUNK_CLIPS):
        waves = synthesise(spec, labels[start:start + CHUNK_CLIPS], generator)
        chunks.append(log_mel(waves, filterbank, clips["n_fft"], clips["hop_length"]).to(torch.float16))
    return torch.cat(chunks).numpy(), labels.numpy()


def _attributes(clips: Mapping[str, Any]) -> dict[str, Any]:
    return {**{name: clips[name] for name in clips}, "class_names": list(CLASSES)}


def write_dataset(path: Path, clips: Mapping[str, Any], overwrite: bool = False) -> Path:
    """Synthesise every split and write them to ``path`` (through a temporary file, then renamed)."""
    if path.exists() and not overwrite:
        raise UsageError(f"{path} already exists; pass overwrite=true to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    with h5py.File(partial, "w") as handle:
        handle.attrs.update(_attributes(clips))
        for index, split in enumerate(SPLITS):
            features, labels = build_split(clips, clips[f"{split}_size"], clips["seed"] * len(SPLITS) + index)
            group = handle.create_group(split)
            # One clip per chunk: a shuffled batch reads only its own clips.
            group.create_dataset("features", data=features, chunks=(1, *features.shape[1:]))
            group.create_dataset("labels", data=labels)
            if split == "train":
                values = features.astype(np.float32)
                handle.attrs["feature_mean"], handle.attrs["feature_std"] = float(values.mean()), float(values.std())
            log.info("%s: %d clips, features %s", split, len(labels), "x".join(map(str, features.shape[1:])))
    partial.replace(path)
    return path


def ensure_dataset(path: Path, clips: Mapping[str, Any]) -> Path:
    """``path``, built first if absent; an existing file must have been built from the same parameters."""
    if not path.exists():
        log.info("building %s", path)
        return write_dataset(path, clips)
    with h5py.File(path, "r") as handle:
        stored = {name: handle.attrs[name] for name in handle.attrs}
    wanted = _attributes(clips)
    differing = [name for name, value in wanted.items()
                 if name not in stored or np.asarray(stored[name]).tolist() != np.asarray(value).tolist()]
    if differing:
        raise UsageError(f"{path} was built with other parameters ({', '.join(differing)}); rebuild it with "
                         "python -m reference_trainers.mel.build_data overwrite=true, or set data.path")
    return path


class ClipBatches(Dataset):
    """One split; an item is a whole batch, read with one HDF5 call from a file opened in this process."""

    def __init__(self, path: Path, split: str) -> None:
        self.path, self.split = path, split
        self._handle: h5py.File | None = None
        with h5py.File(path, "r") as handle:
            self.size = len(handle[split]["labels"])
            self.normalisation = float(handle.attrs["feature_mean"]), float(handle.attrs["feature_std"])

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        if self._handle is None:  # in the worker: an HDF5 handle must not cross a fork
            self._handle = h5py.File(self.path, "r")
        group = self._handle[self.split]
        order = np.sort(np.asarray(indices))
        return torch.from_numpy(group["features"][order]), torch.from_numpy(group["labels"][order])

    def close(self) -> None:
        """Close this process's handle, so that no open HDF5 file is inherited by a forked worker."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_handle": None}


class BatchOrder(Sampler[list[int]]):
    """Batches of indices: shuffled by (seed, epoch) for training, in order otherwise; resumable mid-epoch."""

    def __init__(self, size: int, batch_size: int, shuffle: bool, seed: int = 0) -> None:
        self.size, self.batch_size, self.shuffle, self.seed = size, batch_size, shuffle, seed
        self.epoch, self.skip = 0, 0

    def set_position(self, epoch: int, skip: int = 0) -> None:
        """Start ``epoch``'s order at batch ``skip`` (the batches a resumed run has already trained on)."""
        self.epoch, self.skip = epoch, skip

    def __len__(self) -> int:
        full = self.size // self.batch_size if self.shuffle else -(-self.size // self.batch_size)
        return full - self.skip

    def __iter__(self) -> Iterator[list[int]]:
        if self.shuffle:
            generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
            order = torch.randperm(self.size, generator=generator).tolist()
        else:
            order = list(range(self.size))
        for batch in range(self.skip, len(self) + self.skip):
            yield order[batch * self.batch_size:(batch + 1) * self.batch_size]


def loader(dataset: ClipBatches, order: BatchOrder, num_workers: int, pin_memory: bool) -> DataLoader:
    """Batches in ``order``; the loader's own generator keeps it off the global RNG a resumed run restores."""
    return DataLoader(dataset, sampler=order, batch_size=None, num_workers=num_workers, pin_memory=pin_memory,
                      persistent_workers=num_workers > 0, generator=torch.Generator().manual_seed(order.seed))
