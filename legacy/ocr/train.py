"""Training entry point for the OCR model (pre-refactor).

Run: python -m legacy.ocr.train experiment=smoke
"""

import json
import os
import signal
import sys
import time

import hydra
import lightning.pytorch as pl
import torch
from hydra.utils import instantiate
from lightning.pytorch.callbacks import LearningRateMonitor, ModelCheckpoint
from omegaconf import DictConfig, OmegaConf

from reference_trainers.ocr.glyphs import glyph_atlas  # used by the old config_path helper

CONFIG_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "configs")

_shutdown_in_progress = False
trainer = None
data_module = None


def signal_handler(signum, frame):
    """Handle interrupt signals to ensure graceful shutdown without recursion."""
    global _shutdown_in_progress
    if _shutdown_in_progress:
        return
    _shutdown_in_progress = True

    print(f"\nReceived signal {signum}. Shutting down gracefully...")

    try:
        if trainer is not None:
            print("Stopping trainer...")
            # Lightning handles SIGINT/SIGTERM for graceful shutdown
    except Exception as e:
        print(f"Error during trainer shutdown: {e}")

    try:
        if data_module is not None:
            print("Cleaning up data module...")
            # DataLoader workers will be cleaned up by process shutdown
    except Exception as e:
        print(f"Error during data module cleanup: {e}")

    print("Shutdown complete.")
    sys.exit(1)


signal.signal(signal.SIGINT, signal_handler)
signal.signal(signal.SIGTERM, signal_handler)


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="legacy")
def train(config: DictConfig):
    global trainer, data_module
    started = time.time()

    # Disable struct mode to allow Hydra to populate runtime fields dynamically
    # This fixes "Key 'mode' is not in struct" errors with Hydra 1.3.2
    OmegaConf.set_struct(config, False)
    if hasattr(config, "hydra") and config.hydra is not None:
        OmegaConf.set_struct(config.hydra, False)

    pl.seed_everything(config.seed, workers=True)

    try:
        os.makedirs(config.paths.output_dir, exist_ok=True)
        os.makedirs(config.paths.checkpoint_dir, exist_ok=True)
        if hasattr(config.paths, "submission_dir"):
            os.makedirs(config.paths.submission_dir, exist_ok=True)
    except Exception as e:
        print(f"Warning: failed to ensure output directories exist: {e}")

    data_module = instantiate(config.data)
    model = instantiate(config.model)

    runtime_cfg = config.get("runtime") or {}
    auto_gpu_devices = runtime_cfg.get("auto_gpu_devices", True)
    preferred_strategy = runtime_cfg.get("ddp_strategy", "ddp_find_unused_parameters_false")
    min_auto_devices = runtime_cfg.get("min_auto_devices", 2)

    def _normalize_device_request(value):
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                return value
        return value

    if auto_gpu_devices and config.trainer.get("accelerator", "cpu") == "gpu" and torch.cuda.is_available():
        available_gpus = torch.cuda.device_count()
        requested_devices = _normalize_device_request(config.trainer.get("devices"))
        if available_gpus >= max(1, min_auto_devices):
            if requested_devices in (None, 1):
                config.trainer.devices = available_gpus
                strategy_cfg = config.trainer.get("strategy")
                if strategy_cfg in (None, "auto"):
                    config.trainer.strategy = preferred_strategy
                print(f"[AutoParallel] Scaling to {available_gpus} GPUs with strategy='{config.trainer.strategy}'.")
            elif isinstance(requested_devices, int) and requested_devices > available_gpus:
                config.trainer.devices = available_gpus
                print(f"[AutoParallel] Requested {requested_devices} GPUs, but only {available_gpus} detected.")

    wandb_cfg = config.logger.get("wandb", None) if config.logger.get("kind") == "wandb" else None
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

        OmegaConf.resolve(config)
        try:
            wandb_config = OmegaConf.to_container(config, resolve=True)
        except Exception:
            wandb_config = OmegaConf.to_container(config, resolve=False)
        logger = WandbLogger(name=config.task_name, project=config.logger.get("project"), config=wandb_config)
    elif config.logger.get("kind") == "tensorboard":
        from lightning.pytorch.loggers.tensorboard import TensorBoardLogger

        logger = TensorBoardLogger(save_dir=os.path.join(config.paths.output_dir, "logs"), name="", version="",
                                   default_hp_metric=False)
    else:
        from lightning.pytorch.loggers import CSVLogger

        logger = CSVLogger(save_dir=os.path.join(config.paths.output_dir, "logs"), name="", version="")

    checkpoint_callback = ModelCheckpoint(
        dirpath=config.paths.checkpoint_dir,
        filename="best-{epoch:02d}-{step}",
        monitor=config.monitor.metric,
        mode=config.monitor.mode,
        save_last=True,
    )
    callbacks = [checkpoint_callback]
    if config.logger.get("kind") != "csv":
        callbacks.append(LearningRateMonitor(logging_interval="step"))

    trainer_kwargs = {key: value for key, value in config.trainer.items() if key != "_target_"}
    trainer = pl.Trainer(**trainer_kwargs, callbacks=callbacks, logger=logger)

    ckpt_path = config.get("ckpt_path")
    if ckpt_path is not None and ckpt_path != "last" and not os.path.exists(ckpt_path):
        print(f"Warning: checkpoint {ckpt_path} not found, training from scratch")
        ckpt_path = None

    trainer.fit(model, datamodule=data_module, ckpt_path=ckpt_path)

    def _to_float(value):
        try:
            if isinstance(value, torch.Tensor):
                return float(value.detach().cpu().item())
            if hasattr(value, "item"):
                return float(value.item())
            return float(value)
        except (TypeError, ValueError):
            return None

    metrics = {key: _to_float(value) for key, value in trainer.callback_metrics.items()}
    if trainer.is_global_zero:
        summary = {
            "trainer": "ocr-legacy",
            "epochs": trainer.current_epoch,
            "steps": trainer.global_step,
            "wall_seconds": round(time.time() - started, 3),
            "val_metric": config.monitor.metric,
            "val_value": metrics.get(config.monitor.metric),
            "best_checkpoint": checkpoint_callback.best_model_path,
        }
        try:
            with open(os.path.join(config.paths.output_dir, "summary.json"), "w") as handle:
                json.dump(summary, handle, indent=2)
        except Exception:
            pass
        print(json.dumps(summary, indent=2))

    return metrics.get(config.monitor.metric)


if __name__ == "__main__":
    train()
