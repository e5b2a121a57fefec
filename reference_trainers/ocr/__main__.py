"""``python -m reference_trainers.ocr [overrides]``: the Hydra entry point.

Only hydra and omegaconf load at import time, so ``--help`` and ``--cfg job``
answer at once; torch and Lightning load when the task runs.
"""

from __future__ import annotations

from pathlib import Path

import hydra
from omegaconf import DictConfig

CONFIG_DIR = str(Path(__file__).resolve().parents[2] / "configs" / "ocr")


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="train")
def main(config: DictConfig) -> float | None:
    """Train; the validation metric is returned for Hydra sweepers."""
    from reference_trainers.common.training import fit

    return fit(config, trainer_name="ocr")["val_value"]


if __name__ == "__main__":
    main()
