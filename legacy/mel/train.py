"""Training script for the mel-spectrogram classifier (pre-refactor).

Run: python -m legacy.mel.train experiment=smoke
"""

import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import h5py
import hydra
import numpy as np
import torch
import torch.nn.functional as F
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig
from torch.utils.data import DataLoader, Dataset


@dataclass
class Paths:
    """Where things live."""

    # make the project importable when run from anywhere
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))
    config_dir: str = os.path.join(os.path.dirname(os.path.abspath(__file__)), "configs")
    best_name: str = "best.pth"
    legacy_best_name: str = "mel_cnn_best.h5"


from reference_trainers.mel.data import ensure_dataset  # noqa: E402
from reference_trainers.mel.model import MelClassifier  # noqa: E402
from reference_trainers.mel.synth import CLASSES  # noqa: E402


class MelH5Dataset(Dataset):
    """One split of the HDF5 file, one clip per item."""

    def __init__(self, path, split):
        self.path = path
        self.split = split
        self.h5 = None
        try:
            with h5py.File(path, "r") as handle:
                self.length = len(handle[split]["labels"])
                self.mean = float(handle.attrs["feature_mean"])
                self.std = float(handle.attrs["feature_std"])
        except Exception as e:
            print(f"Warning: could not read {path} ({e}), using an empty split")
            self.length = 0
            self.mean, self.std = 0.0, 1.0

    def __len__(self):
        return self.length

    def __getitem__(self, index):
        if self.h5 is None:
            try:
                self.h5 = h5py.File(self.path, "r")
            except Exception as e:
                print(f"Error opening {self.path}: {e}, retrying")
                time.sleep(0.5)
                self.h5 = h5py.File(self.path, "r")
        features = self.h5[self.split]["features"][index]
        label = self.h5[self.split]["labels"][index]
        return torch.from_numpy(features.astype(np.float32)), int(label)


def save_best(model, optimizer, epoch, checkpoint_dir):
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}
    torch.save(state, os.path.join(checkpoint_dir, Paths.best_name))
    # the old evaluation notebook still loads the .h5 name
    torch.save(state, os.path.join(checkpoint_dir, Paths.legacy_best_name))


def evaluate(model, loader, device, mean, std):
    model.eval()
    correct = 0
    total = 0
    loss_sum = 0.0
    with torch.no_grad():
        for features, labels in loader:
            features = features.to(device)
            features = (features - mean) / std
            features = features.unsqueeze(1)
            features = features.contiguous(memory_format=torch.channels_last)
            labels = labels.to(device)
            logits = model(features)
            loss_sum += F.cross_entropy(logits, labels, reduction="sum").item()
            correct += (logits.argmax(dim=1) == labels).sum().item()
            total += labels.shape[0]
    model.train()
    if total == 0:
        return 0.0, 0.0
    return correct / total, loss_sum / total


@hydra.main(version_base="1.3", config_path=Paths.config_dir, config_name="legacy")
def main(config: DictConfig):
    started = time.time()
    output_dir = HydraConfig.get().runtime.output_dir
    checkpoint_dir = os.path.join(output_dir, "checkpoints")
    os.makedirs(checkpoint_dir, exist_ok=True)
    torch.manual_seed(config.seed)
    np.random.seed(config.seed)

    print("=" * 60)
    print("Mel-spectrogram classifier training")
    print("=" * 60)

    path = Path(config.data.path)
    try:
        ensure_dataset(path, config.data.clips)
    except Exception as e:
        print(f"Dataset problem: {e}")
        sys.exit(1)

    if config.trainer.device == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(config.trainer.device)
    use_amp = device.type == "cuda"
    print(f"Using device: {device} (amp={use_amp})")

    train_set = MelH5Dataset(path, "train")
    val_set = MelH5Dataset(path, "val")
    test_set = MelH5Dataset(path, "test")
    mean, std = train_set.mean, train_set.std
    print(f"Train: {len(train_set)}  Val: {len(val_set)}  Test: {len(test_set)}")

    num_workers = config.data.num_workers
    val_workers = max(1, num_workers // 2) if num_workers > 0 else 0
    train_loader = DataLoader(train_set, batch_size=config.data.batch_size, shuffle=True, drop_last=True,
                              num_workers=num_workers, persistent_workers=num_workers > 0,
                              pin_memory=use_amp)
    val_loader = DataLoader(val_set, batch_size=config.data.batch_size, shuffle=False,
                            num_workers=val_workers, persistent_workers=num_workers > 0)
    test_loader = DataLoader(test_set, batch_size=config.data.batch_size, shuffle=False,
                             num_workers=val_workers, persistent_workers=num_workers > 0)

    model = MelClassifier(list(config.model.channels), len(CLASSES), config.model.dropout).to(device)
    model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.model.lr, weight_decay=config.model.weight_decay)
    total_steps = len(train_loader) * config.trainer.max_epochs
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.model.lr, total_steps=total_steps,
                                                    pct_start=config.model.warmup_fraction)
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)

    step = 0
    best_acc = -1.0
    first_loss = None
    last_loss = None
    history = []
    for epoch in range(config.trainer.max_epochs):
        model.train()
        running_loss = 0.0
        running_correct = 0
        seen = 0
        epoch_start = time.time()
        for features, labels in train_loader:
            features = features.to(device)
            features = (features - mean) / std
            features = features.unsqueeze(1)
            features = features.contiguous(memory_format=torch.channels_last)
            labels = labels.to(device)
            logits = model(features)
            loss = F.cross_entropy(logits, labels)

            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.trainer.gradient_clip_val)
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
            step += 1

            running_loss += loss.item() * labels.shape[0]
            running_correct += (logits.argmax(dim=1) == labels).sum().item()
            seen += labels.shape[0]
            if first_loss is None:
                first_loss = loss.item()
            last_loss = loss.item()
            if step % config.trainer.log_every_n_steps == 0:
                print(f"Epoch {epoch + 1} | Step {step} | loss {running_loss / seen:.4f} | "
                      f"acc {running_correct / seen:.4f} | lr {scheduler.get_last_lr()[0]:.2e}")

        val_acc, val_loss = evaluate(model, val_loader, device, mean, std)
        print(f"Epoch {epoch + 1} done in {time.time() - epoch_start:.1f}s | train loss {running_loss / seen:.4f} "
              f"| val loss {val_loss:.4f} | val acc {val_acc:.4f}")
        history.append({"epoch": epoch + 1, "train_loss": running_loss / seen, "val_loss": val_loss,
                        "val_acc": val_acc})
        if val_acc > best_acc:
            best_acc = val_acc
            print(f"New best model! val acc {val_acc:.4f}")
            save_best(model, optimizer, epoch, checkpoint_dir)
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch},
                   os.path.join(checkpoint_dir, "last.pth"))

    test_acc, test_loss = evaluate(model, test_loader, device, mean, std)
    print(f"Test accuracy: {test_acc:.4f} (loss {test_loss:.4f})")

    summary = {
        "trainer": "mel-legacy",
        "epochs": config.trainer.max_epochs,
        "steps": step,
        "wall_seconds": round(time.time() - started, 3),
        "first_train_loss": first_loss,
        "last_train_loss": last_loss,
        "val_metric": "val/acc",
        "val_value": val_acc,
        "test_accuracy": test_acc,
        "best_checkpoint": os.path.join(checkpoint_dir, Paths.best_name),
        "history": history,
    }
    try:
        with open(os.path.join(output_dir, "summary.json"), "w") as handle:
            json.dump(summary, handle, indent=2)
    except Exception:
        print("Could not write summary.json")
    print(json.dumps({key: value for key, value in summary.items() if key != "history"}, indent=2))
    return val_acc


if __name__ == "__main__":
    main()
