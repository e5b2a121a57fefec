"""``python -m reference_trainers.multidataset [overrides]``: the multi-dataset trainer's entry point.

Only hydra and omegaconf load here, so ``--help``, ``--cfg job`` and config
errors answer at once; torch and Lightning load when training starts.
"""

from reference_trainers.common.launch import launch
from reference_trainers.multidataset.config import SPEC

if __name__ == "__main__":
    launch(SPEC)
