"""The OCR trainer's `train.py` as it looked before the audit-guided refactor."""
