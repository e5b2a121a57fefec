"""Multi-dataset DDP training with a contrast curriculum (pre-refactor).

Everything lives here: the model, the data module, the sampler, the LR scheduler,
the callbacks and the command line.

Run:
    python -m legacy.multidataset.train_ddp_multidataset \
        --model_config legacy/multidataset/configs/model.yaml \
        --dataset_configs_path legacy/multidataset/configs/datasets \
        --enable_curriculum --smoke --output_dir outputs/legacy_multidataset
"""

import argparse
import glob
import json
import math
import os
import time

import lightning.pytorch as pl
import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from lightning.pytorch.callbacks import Callback, LearningRateMonitor, ModelCheckpoint
from omegaconf import DictConfig, OmegaConf
from torch.optim.lr_scheduler import _LRScheduler
from torch.utils.data import DataLoader, Dataset, Sampler

from reference_trainers.multidataset.render import ease, render

DEFAULT_OUTPUT_DIR = "/data/experiments/multidataset"
VALIDATION_SALT = 1_000_003


# ----------------------------------------------------------------------------------------------------------------
# utils
# ----------------------------------------------------------------------------------------------------------------


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


# ----------------------------------------------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------------------------------------------


class SyntheticDigits(Dataset):
    """One dataset, drawn whole when it is built (kept in memory)."""

    def __init__(self, cfg, dataset_index, seed, split):
        self.cfg = cfg
        self.dataset_index = dataset_index
        size = cfg["train_size"] if split == "train" else cfg["val_size"]
        own_seed = seed + dataset_index * 7919 + (VALIDATION_SALT if split == "val" else 0)
        indices = torch.arange(size)
        self.images, self.labels = render(own_seed, indices, cfg["size"], cfg["contrast_low"], cfg["contrast_high"],
                                          cfg["noise"])
        self.contrast = ease(own_seed, indices, cfg["contrast_low"], cfg["contrast_high"], cfg["noise"])

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        return self.images[index], int(self.labels[index]), float(self.contrast[index]), self.dataset_index


class ConcatDigits(Dataset):
    def __init__(self, datasets):
        self.datasets = datasets
        self.offsets = np.cumsum([0] + [len(d) for d in datasets])

    def __len__(self):
        return int(self.offsets[-1])

    def __getitem__(self, index):
        which = int(np.searchsorted(self.offsets, index, side="right") - 1)
        return self.datasets[which][index - int(self.offsets[which])]

    def contrasts(self):
        return torch.cat([d.contrast for d in self.datasets])


class ContrastWeightedSampler(Sampler):
    """Curriculum sampler: high-contrast samples first, low-contrast ones later. Distributed aware."""

    def __init__(self, contrasts, num_samples, seed=0, strength=3.0, enable_curriculum=True, total_steps=1):
        self.contrasts = contrasts
        self.num_samples = num_samples
        self.seed = seed
        self.strength = strength
        self.enable_curriculum = enable_curriculum
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
        if self.enable_curriculum:
            progress = min(1.0, self.step / max(1, self.total_steps))
            weights = torch.exp(self.strength * (1 - 2 * progress) * (self.ease_rank - 0.5))
        else:
            weights = torch.ones(len(self.contrasts), dtype=torch.float64)
        drawn = torch.multinomial(weights, len(self) * self.world_size, replacement=False, generator=g)
        return iter(drawn[self.rank::self.world_size].tolist())


class MultiDatasetDM(pl.LightningDataModule):
    def __init__(self, cfg_dir, max_ds=20, batch_size=128, num_workers=0, samples_per_epoch=16384, seed=0,
                 enable_curriculum=True, strength=3.0, smoke=False, persistent_workers=True):
        super().__init__()
        self.cfg_dir = cfg_dir
        self.max_ds = max_ds
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.samples_per_epoch = samples_per_epoch
        self.seed = seed
        self.enable_curriculum = enable_curriculum
        self.strength = strength
        self.smoke = smoke
        self.persistent_workers = persistent_workers
        self.dataset_cfgs = []
        self.train_dsets = {}
        self.val_dsets = {}
        self.sampler = None

    def load_dataset_configs(self):
        cfgs = []
        for path in sorted(glob.glob(os.path.join(self.cfg_dir, "*.yaml")))[: self.max_ds]:
            try:
                cfg = OmegaConf.to_container(OmegaConf.load(path))
            except Exception as e:
                print(f"Skipping dataset config {path}: {e}")
                continue
            if self.smoke:
                cfg["size"] = 12 if cfg["size"] < 20 else 16
                cfg["train_size"] = 2048
                cfg["val_size"] = 256
            cfgs.append(cfg)
        return cfgs

    def setup(self, stage=None):
        if self.train_dsets:
            return
        self.dataset_cfgs = self.load_dataset_configs()
        for index, cfg in enumerate(self.dataset_cfgs):
            self.train_dsets[cfg["name"]] = Float32View(SyntheticDigits(cfg, index, self.seed, "train"))
            self.val_dsets[cfg["name"]] = Float32View(SyntheticDigits(cfg, index, self.seed, "val"))

    def train_dataloader(self):
        concat = ConcatDigits([d.base for d in self.train_dsets.values()])
        total_steps = self.trainer.max_epochs * (self.samples_per_epoch // self.trainer.world_size // self.batch_size)
        self.sampler = ContrastWeightedSampler(concat.contrasts(), self.samples_per_epoch, seed=self.seed,
                                               strength=self.strength, enable_curriculum=self.enable_curriculum,
                                               total_steps=total_steps)
        return DataLoader(Float32View(concat), batch_size=self.batch_size, sampler=self.sampler,
                          num_workers=self.num_workers, collate_fn=group_collate, drop_last=True,
                          persistent_workers=(self.persistent_workers and self.num_workers > 0))

    def val_dataloader(self):
        val_workers = max(1, self.num_workers // 2) if self.num_workers > 0 else 0
        loaders = []
        for name, dataset in self.val_dsets.items():
            loaders.append(DataLoader(dataset, batch_size=self.batch_size, shuffle=False, num_workers=val_workers,
                                      collate_fn=group_collate,
                                      persistent_workers=(self.persistent_workers and self.num_workers > 0)))
        return loaders


# ----------------------------------------------------------------------------------------------------------------
# scheduler
# ----------------------------------------------------------------------------------------------------------------


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


# ----------------------------------------------------------------------------------------------------------------
# model
# ----------------------------------------------------------------------------------------------------------------


class MultiDatasetModel(pl.LightningModule):
    def __init__(self, dataset_names, channels=(32, 64, 128), num_classes=10, lr=3e-3, weight_decay=1e-4,
                 warmup_fraction=0.1, total_steps=1000):
        super().__init__()
        self.save_hyperparameters()
        self.dataset_names = list(dataset_names)
        layers = []
        in_ch = 1
        for i, ch in enumerate(channels):
            if i > 0:
                layers.append(nn.MaxPool2d(2))
            layers += [nn.Conv2d(in_ch, ch, 3, padding=1, bias=False), nn.BatchNorm2d(ch), nn.ReLU(inplace=True),
                       nn.Conv2d(ch, ch, 3, padding=1, bias=False), nn.BatchNorm2d(ch), nn.ReLU(inplace=True)]
            in_ch = ch
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(in_ch, num_classes)
        self.val_correct = {}
        self.val_total = {}

    def forward(self, x):
        return self.head(self.features(x))

    def training_step(self, batch, batch_idx):
        total_loss = 0.0
        count = 0
        for dataset_index, (images, labels) in batch.items():
            name = self.dataset_names[dataset_index]
            images = images.to(self.device)
            labels = labels.to(self.device)
            logits = self(images)
            loss = F.cross_entropy(logits, labels)
            correct = (logits.argmax(dim=-1) == labels).sum()
            self.log(f"train/{name}/loss", loss, add_dataloader_idx=False)
            self.log(f"train/{name}/acc", correct.float() / len(labels), add_dataloader_idx=False)
            total_loss = total_loss + loss * len(labels)
            count += len(labels)
        loss = total_loss / count
        self.log("train/loss", loss)
        return loss

    def validation_step(self, batch, batch_idx, dataloader_idx=0):
        for dataset_index, (images, labels) in batch.items():
            name = self.dataset_names[dataset_index]
            images = images.to(self.device)
            labels = labels.to(self.device)
            logits = self(images)
            loss = F.cross_entropy(logits, labels)
            correct = (logits.argmax(dim=-1) == labels).sum()
            self.log(f"val/{name}/loss", loss, add_dataloader_idx=False)
            self.log(f"val/{name}/batch_acc", correct.float() / len(labels), add_dataloader_idx=False)
            self.val_correct[name] = self.val_correct.get(name, 0) + int(correct)
            self.val_total[name] = self.val_total.get(name, 0) + len(labels)

    def on_validation_epoch_end(self):
        accs = []
        for name in self.dataset_names:
            if name in self.val_total:
                acc = self.val_correct[name] / self.val_total[name]
                self.log(f"val/{name}/acc", acc, add_dataloader_idx=False, sync_dist=True)
                accs.append(acc)
        if accs:
            self.log("val/min_acc", min(accs), sync_dist=True)
        self.val_correct = {}
        self.val_total = {}

    def configure_optimizers(self):
        optimizer = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)
        warmup = max(1, int(self.hparams.total_steps * self.hparams.warmup_fraction))
        scheduler = LinearWarmupCosineAnnealingLR(optimizer, warmup, self.hparams.total_steps)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}


# ----------------------------------------------------------------------------------------------------------------
# callbacks
# ----------------------------------------------------------------------------------------------------------------


class Heartbeat(Callback):
    """Debug callback: prints every hook it sees."""

    def __init__(self, verbose=False):
        self.verbose = verbose

    def on_fit_start(self, trainer, pl_module):
        if self.verbose:
            print("[Heartbeat] on_fit_start")

    def on_train_epoch_start(self, trainer, pl_module):
        if self.verbose:
            print(f"[Heartbeat] on_train_epoch_start {trainer.current_epoch}")

    def on_validation_start(self, trainer, pl_module):
        if self.verbose:
            print("[Heartbeat] on_validation_start")


class EpochHeartbeat(Callback):
    def __init__(self):
        self.start = None

    def on_fit_start(self, trainer, pl_module):
        self.start = time.time()

    def on_train_epoch_end(self, trainer, pl_module):
        if trainer.global_rank != 0:
            return
        try:
            metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
            parts = [f"{k}={v:.4f}" for k, v in sorted(metrics.items()) if k.startswith("val/")]
            print(f"[Epoch {trainer.current_epoch + 1}] step={trainer.global_step} "
                  f"elapsed={time.time() - self.start:.1f}s " + " ".join(parts))
        except Exception:
            pass


class CurriculumCallback(Callback):
    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        sampler = trainer.datamodule.sampler
        if sampler is not None:
            sampler.set_step(trainer.global_step)


# ----------------------------------------------------------------------------------------------------------------
# main
# ----------------------------------------------------------------------------------------------------------------


def parse_args():
    parser = argparse.ArgumentParser(description="Multi-dataset DDP training")
    parser.add_argument("--model_config", type=str, default="legacy/multidataset/configs/model.yaml")
    parser.add_argument("--dataset_configs_path", type=str, default="legacy/multidataset/configs/datasets")
    parser.add_argument("--max_datasets", type=int, default=20)
    parser.add_argument("--batch_size", type=int, default=128)
    parser.add_argument("--learning_rate", type=float, default=None)
    parser.add_argument("--max_epochs", type=int, default=20)
    parser.add_argument("--samples_per_epoch", type=int, default=32768)
    parser.add_argument("--num_workers", type=int, default=0)
    parser.add_argument("--devices", type=str, default="1")
    parser.add_argument("--accelerator", type=str, default="auto")
    parser.add_argument("--strategy", type=str, default="auto")
    parser.add_argument("--precision", type=str, default="32-true")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--output_dir", type=str, default=DEFAULT_OUTPUT_DIR)
    parser.add_argument("--enable_curriculum", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="tiny CPU run")
    parser.add_argument("--resume", type=str, default=None)
    return parser.parse_args()


def main():
    args = parse_args()
    started = time.time()
    config = OmegaConf.load(args.model_config)

    # Disable struct mode so the CLI can add keys that are not in the yaml
    OmegaConf.set_struct(config, False)
    if args.learning_rate is not None:
        config.optim.lr = args.learning_rate
    if args.smoke:
        config.model.channels = [16, 32, 32]
        config.optim.lr = 1e-2
        args.max_epochs = 4
        args.samples_per_epoch = 4096
        args.batch_size = 64
        args.accelerator = "cpu"

    pl.seed_everything(args.seed, workers=True)

    try:
        os.makedirs(args.output_dir, exist_ok=True)
        os.makedirs(os.path.join(args.output_dir, "checkpoints"), exist_ok=True)
    except Exception as e:
        print(f"Warning: could not create output directories: {e}")

    # Auto-scale to every visible GPU
    runtime_cfg = config.get("runtime") or {}
    devices = args.devices
    strategy = args.strategy
    if runtime_cfg.get("auto_gpu_devices", True) and args.accelerator in ("gpu", "auto") and torch.cuda.is_available():
        available_gpus = torch.cuda.device_count()
        try:
            requested = int(devices)
        except ValueError:
            requested = devices
        if available_gpus >= runtime_cfg.get("min_auto_devices", 2):
            if requested in (None, 1):
                devices = available_gpus
                if strategy in (None, "auto"):
                    strategy = runtime_cfg.get("ddp_strategy", "ddp_find_unused_parameters_false")
                args.batch_size = args.batch_size * available_gpus
                print(f"[AutoParallel] Scaling to {available_gpus} GPUs with strategy='{strategy}'.")
            elif isinstance(requested, int) and requested > available_gpus:
                devices = available_gpus
                print(f"[AutoParallel] Requested {requested} GPUs, but only {available_gpus} detected.")
    else:
        try:
            devices = int(devices)
        except ValueError:
            pass

    dm = MultiDatasetDM(args.dataset_configs_path, max_ds=args.max_datasets, batch_size=args.batch_size,
                        num_workers=args.num_workers, samples_per_epoch=args.samples_per_epoch, seed=args.seed,
                        enable_curriculum=args.enable_curriculum, smoke=args.smoke)
    dm.setup()
    names = [cfg["name"] for cfg in dm.dataset_cfgs]
    world_size = devices if isinstance(devices, int) else 1
    steps_per_epoch = args.samples_per_epoch // world_size // args.batch_size
    model = MultiDatasetModel(names, channels=list(config.model.channels), num_classes=config.model.num_classes,
                              lr=config.optim.lr, weight_decay=config.optim.weight_decay,
                              warmup_fraction=config.optim.warmup_fraction,
                              total_steps=steps_per_epoch * args.max_epochs)

    wandb_cfg = config.logger.get("wandb", None)
    wandb_enabled = False
    if isinstance(wandb_cfg, DictConfig):
        wandb_enabled = wandb_cfg.get("enabled", True)
    elif isinstance(wandb_cfg, dict):
        wandb_enabled = wandb_cfg.get("enabled", True)
    elif isinstance(wandb_cfg, bool):
        wandb_enabled = wandb_cfg
    elif wandb_cfg is not None:
        wandb_enabled = bool(wandb_cfg)

    if wandb_enabled:
        from lightning.pytorch.loggers import WandbLogger

        try:
            wandb_config = OmegaConf.to_container(config, resolve=True)
        except Exception:
            wandb_config = {}
        logger = WandbLogger(project=wandb_cfg.get("project", "multidataset"), config=wandb_config)
    else:
        from lightning.pytorch.loggers import CSVLogger

        logger = CSVLogger(save_dir=os.path.join(args.output_dir, "logs"), name="", version="")

    checkpoint_callback = ModelCheckpoint(dirpath=os.path.join(args.output_dir, "checkpoints"),
                                          filename="best-{epoch:02d}-{step}", monitor="val/min_acc", mode="max",
                                          save_last=True)
    callbacks = [checkpoint_callback, EpochHeartbeat(), Heartbeat(verbose=False)]
    if args.enable_curriculum:
        callbacks.append(CurriculumCallback())

    trainer = pl.Trainer(accelerator=args.accelerator, devices=devices, strategy=strategy,
                         precision=args.precision, max_epochs=args.max_epochs, callbacks=callbacks, logger=logger,
                         use_distributed_sampler=False, enable_progress_bar=False, enable_model_summary=False,
                         log_every_n_steps=8, gradient_clip_val=1.0, num_sanity_val_steps=0)

    ckpt_path = args.resume
    if ckpt_path is not None and not os.path.exists(ckpt_path):
        print(f"Warning: checkpoint {ckpt_path} not found, training from scratch")
        ckpt_path = None

    trainer.fit(model, datamodule=dm, ckpt_path=ckpt_path)

    if trainer.is_global_zero:
        metrics = {}
        for key, value in trainer.callback_metrics.items():
            try:
                metrics[key] = float(value)
            except Exception:
                metrics[key] = None
        summary = {
            "trainer": "multidataset-legacy",
            "epochs": trainer.current_epoch,
            "steps": trainer.global_step,
            "wall_seconds": round(time.time() - started, 3),
            "val_metric": "val/min_acc",
            "val_value": metrics.get("val/min_acc"),
            "per_dataset": {name: metrics.get(f"val/{name}/acc") for name in names},
            "best_checkpoint": checkpoint_callback.best_model_path,
        }
        try:
            with open(os.path.join(args.output_dir, "summary.json"), "w") as f:
                json.dump(summary, f, indent=2)
        except Exception:
            pass
        print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
