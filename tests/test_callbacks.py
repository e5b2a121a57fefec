"""The measuring callbacks behave on a tiny real CPU training."""

from __future__ import annotations

import pytest

pl = pytest.importorskip("lightning.pytorch")

from reference_trainers.common.callbacks import GpuBusySampler, TimeToTarget  # noqa: E402
from reference_trainers.ocr.data import DigitsDataModule  # noqa: E402
from reference_trainers.ocr.model import OCRModule  # noqa: E402


def test_time_to_target_and_sampler_on_cpu() -> None:
    reached, never, sampler = TimeToTarget("val/cer", 0.0), TimeToTarget("val/seq_acc", 2.0), GpuBusySampler()
    trainer = pl.Trainer(accelerator="cpu", devices=1, max_steps=4, limit_val_batches=1, val_check_interval=2,
                         logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, callbacks=[reached, never, sampler])
    datamodule = DigitsDataModule(train_size=64, val_size=16, batch_size=8, height=24, width=96)
    trainer.fit(OCRModule(channels=(4, 8, 8), hidden=8, height=24), datamodule=datamodule)
    assert reached.seconds is not None and reached.seconds > 0 and reached.step == 2
    assert never.seconds is None and never.step is None
    assert sampler.busy_fraction is None  # no CUDA device: nothing sampled
