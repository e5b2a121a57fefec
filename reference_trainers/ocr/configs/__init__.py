"""The OCR trainer's Hydra configs, read through ``pkg://reference_trainers.ocr.configs``."""
