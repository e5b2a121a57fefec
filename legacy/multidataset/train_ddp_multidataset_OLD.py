"""train_ddp_multidataset.py as it was before the per-dataset validation (kept for reference)."""

import torch
from torch.utils.data import Dataset


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
