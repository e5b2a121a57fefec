"""The multi-dataset trainer's Hydra configs, read through ``pkg://reference_trainers.multidataset.configs``."""
