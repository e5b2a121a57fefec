"""The pre-refactor mel-spectrogram trainer (plain PyTorch), kept to show what `audit` finds."""
