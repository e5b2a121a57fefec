"""Backup of train_ddp_multidataset.py taken before the curriculum toggle was added. DO NOT EDIT."""

import math

import numpy as np
import torch
import torch.distributed as dist
from torch.optim.lr_scheduler import _LRScheduler
from torch.utils.data import Dataset, Sampler


def cast_stim(images):
    """Stimulus normalisation: float32, [-1, 1]."""
    images = images.float()
    if images.max() > 1.0:
        images = images / 255.0 * 2 - 1
    return images


class Float32View(Dataset):
    """Wraps a dataset so every image comes out as float32."""

    def __init__(self, base):
        self.base = base

    def __len__(self):
        return len(self.base)

    def __getitem__(self, index):
        image, label, contrast, dataset_index = self.base[index]
        return cast_stim(image), label, contrast, dataset_index


def group_collate(batch):
    """Groups a batch by dataset: {dataset_index: (images, labels)}."""
    groups = {}
    for image, label, contrast, dataset_index in batch:
        if dataset_index not in groups:
            groups[dataset_index] = ([], [])
        groups[dataset_index][0].append(image)
        groups[dataset_index][1].append(label)
    out = {}
    for dataset_index, (images, labels) in groups.items():
        out[dataset_index] = (torch.stack(images), torch.tensor(labels))
    return out


class ContrastWeightedSampler(Sampler):
    """Curriculum sampler: high-contrast samples first, low-contrast ones later. Distributed aware."""

    def __init__(self, contrasts, num_samples, seed=0, strength=3.0, total_steps=1):
        self.contrasts = contrasts
        self.num_samples = num_samples
        self.seed = seed
        self.strength = strength
        self.total_steps = total_steps
        self.epoch = 0
        self.step = 0
        try:
            self.rank = dist.get_rank()
            self.world_size = dist.get_world_size()
        except Exception:
            self.rank = 0
            self.world_size = 1
        ranks = torch.argsort(torch.argsort(contrasts)).double()
        self.ease_rank = ranks / max(1, len(contrasts) - 1)

    def set_epoch(self, epoch):
        self.epoch = epoch

    def set_step(self, step):
        self.step = step

    def __len__(self):
        return self.num_samples // self.world_size

    def __iter__(self):
        g = torch.Generator()
        g.manual_seed(self.seed * 100_003 + self.epoch)
        progress = min(1.0, self.step / max(1, self.total_steps))
        weights = torch.exp(self.strength * (1 - 2 * progress) * (self.ease_rank - 0.5))
        drawn = torch.multinomial(weights, len(self) * self.world_size, replacement=False, generator=g)
        return iter(drawn[self.rank::self.world_size].tolist())


class LinearWarmupCosineAnnealingLR(_LRScheduler):
    def __init__(self, optimizer, warmup_steps, total_steps, eta_min=0.0, last_epoch=-1):
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        step = self.last_epoch
        if step < self.warmup_steps:
            return [base_lr * (step + 1) / self.warmup_steps for base_lr in self.base_lrs]
        progress = min(1.0, (step - self.warmup_steps) / max(1, self.total_steps - self.warmup_steps))
        return [self.eta_min + (base_lr - self.eta_min) * 0.5 * (1 + math.cos(math.pi * progress))
                for base_lr in self.base_lrs]


def summarise(values):
    return float(np.mean(values)) if values else None
