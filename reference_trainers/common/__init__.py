"""What every reference trainer shares: logger factory, trainer assembly, run summary."""
