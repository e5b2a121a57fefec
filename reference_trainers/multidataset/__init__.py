"""Hydra + Lightning multi-dataset trainer: one digit-recognition task at several contrasts, noises and sizes."""
