"""audit: a static audit of ML training code.

Kept import-light on purpose: ``audit --version`` must not pay for rich, radon
or the rules.
"""

__version__ = "0.1.0"
