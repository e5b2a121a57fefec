"""GPU-only checks; they skip cleanly where CUDA is absent (CI never has a GPU)."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")]


def test_bf16_smoke_on_gpu(tmp_path: Path) -> None:
    from tests.trainers import run_trainer

    summary = run_trainer("reference_trainers.ocr", tmp_path, "experiment=smoke", "trainer=gpu",
                          "trainer.max_epochs=2", "trainer.enable_progress_bar=false")
    assert summary["device"].startswith("cuda (") and summary["precision"] == "bf16-mixed"
    assert summary["peak_gpu_memory_mib"] > 0
    assert summary["last_train_loss"] <= summary["first_train_loss"] / 2


def test_rendering_matches_between_cpu_and_gpu() -> None:
    from reference_trainers.ocr.glyphs import render

    indices = torch.arange(64)
    cpu_images, cpu_labels, _ = render(5, indices)
    gpu_images, gpu_labels, _ = render(5, indices.cuda())
    assert torch.equal(cpu_labels, gpu_labels.cpu())
    assert torch.allclose(cpu_images, gpu_images.cpu(), atol=1e-4)
