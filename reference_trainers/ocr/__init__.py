"""Hydra + Lightning OCR trainer: a CRNN reading procedurally rendered digit strings (CTC)."""
