"""Reference trainers: real training programs written the way `audit` says training code should be.

Nothing here imports torch at package import time; each trainer's entry point
imports it when its task runs.
"""
