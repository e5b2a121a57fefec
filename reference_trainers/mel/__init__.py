"""A plain-PyTorch (no Lightning) mel-spectrogram classifier trained from HDF5."""
