"""``python -m reference_trainers.mel [overrides]``: the mel trainer's entry point.

Only hydra and omegaconf load here, so ``--help``, ``--cfg job`` and config
errors answer at once; torch and h5py load when training starts.
"""

from reference_trainers.common.launch import launch
from reference_trainers.mel.config import SPEC

if __name__ == "__main__":
    launch(SPEC)
