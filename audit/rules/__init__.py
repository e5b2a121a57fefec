"""One module per rule; the registry imports them all."""
