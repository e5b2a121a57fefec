"""The mel trainer's and data builder's Hydra configs (``pkg://reference_trainers.mel.configs``)."""
