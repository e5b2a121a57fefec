"""Composing a trainer's config outside a Hydra run, and checking it against the trainer's schema."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from omegaconf import OmegaConf

if TYPE_CHECKING:
    from reference_trainers.common.launch import TrainerSpec

# Hydra flags after which no config is composed, or several are (a sweep).
NOT_COMPOSED = {"-h", "--help", "--hydra-help", "-m", "--multirun", "-i", "--info", "--shell-completion", "-sc"}


def override_key(override: str) -> str:
    """The key or group an override sets (``+trainer.x=1`` -> ``trainer.x``, ``logger=csv`` -> ``logger``)."""
    return override.split("=", 1)[0].lstrip("+~")


def compose_config(spec: TrainerSpec, arguments: list[str]) -> Any:
    """The config the command line describes (Hydra's own ``hydra.*`` overrides and flags left out)."""
    from hydra import compose, initialize_config_module

    overrides = [item for item in arguments if "=" in item and not override_key(item).startswith("hydra.")]
    with initialize_config_module(config_module=spec.config_package, version_base="1.3"):
        return compose(config_name=spec.config_name, overrides=overrides)


def validate(spec: TrainerSpec, config: Any) -> None:
    """Raise OmegaConf's error for a key the schema lacks (``+key=`` opens a typed node) or a mistyped value."""
    OmegaConf.merge(OmegaConf.structured(spec.schema), OmegaConf.to_container(config, resolve=False))


def check_command_line(spec: TrainerSpec, arguments: list[str]) -> Any | None:
    """Compose and validate before Hydra makes a run directory; None where Hydra composes no single config."""
    if NOT_COMPOSED.intersection(arguments):
        return None
    config = compose_config(spec, arguments)
    validate(spec, config)
    return config
