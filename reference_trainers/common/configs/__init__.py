"""Hydra config groups every trainer shares (``paths/``, ``hydra/``, ``callbacks/``, ``logger/``).

A trainer's primary config reaches them through ``hydra.searchpath``:
``pkg://reference_trainers.common.configs``.
"""
