"""The entry point every trainer shares: config registration, resume planning, errors, exit codes.

A trainer's ``__main__`` is ``launch(SPEC)``. Nothing here imports torch: ``--help``,
``--cfg job``, a bad override and ``resume=`` planning answer before it loads.

Exit status: 0 completed (or nothing to resume), 1 training failed, 2 bad input
(one line on stderr), 128 + N stopped by signal N (143 for SIGTERM, 130 for SIGINT).
"""

from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass

from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from reference_trainers.common.errors import UsageError

EXIT_USAGE = 2


@dataclass(frozen=True)
class TrainerSpec:
    """What the shared machinery needs to know about one trainer."""

    name: str
    config_package: str
    schema: type
    shape_keys: tuple[str, ...]
    config_name: str = "train"
    # The module whose ``fit(config, trainer_name)`` trains: Lightning's, or a trainer's own loop.
    fit_module: str = "reference_trainers.common.training"

    @property
    def schema_name(self) -> str:
        return f"{self.name}_schema"


def register(spec: TrainerSpec) -> None:
    """Put the trainer's schema in Hydra's ConfigStore and the ``run_id`` resolver in OmegaConf."""
    from hydra.core.config_store import ConfigStore

    ConfigStore.instance().store(name=spec.schema_name, node=spec.schema)
    if not OmegaConf.has_resolver("run_id"):
        # Cached per config: the run directory is named once per run.
        OmegaConf.register_new_resolver("run_id", lambda: secrets.token_hex(3), use_cache=True)


def describe(error: BaseException) -> str:
    """One line for a config or override error: the key, then what was wrong with it."""
    from hydra.errors import MissingConfigException, OverrideParseException

    cause = error.__cause__ if isinstance(error.__cause__, OmegaConfBaseException) else error
    message = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    key = getattr(cause, "full_key", None)
    if key and key not in message:
        message = f"{key}: {message}"
    if isinstance(error, OverrideParseException):
        message = f"cannot parse override '{error.override}': {message}"
    if isinstance(error, MissingConfigException) and getattr(error, "options", None):
        message += f" (options: {', '.join(error.options)})"
    return message


def launch(spec: TrainerSpec, argv: list[str] | None = None) -> None:
    """Run the trainer with command-line overrides; exits with the run's status."""
    import hydra
    from hydra.errors import HydraException

    from reference_trainers.common import resume
    from reference_trainers.common.composition import check_command_line

    arguments = sys.argv[1:] if argv is None else list(argv)
    wants_full_error = os.environ.get("HYDRA_FULL_ERROR") == "1"
    # Hydra then raises its errors instead of printing a multi-line report; we print one line.
    os.environ["HYDRA_FULL_ERROR"] = "1"
    register(spec)
    try:
        arguments = resume.plan(spec, arguments)
        if arguments is None:
            return
        check_command_line(spec, arguments)
        sys.argv = [sys.argv[0], *arguments]

        @hydra.main(version_base="1.3", config_path=f"pkg://{spec.config_package}", config_name=spec.config_name)
        def main(config) -> float | None:
            from reference_trainers.common.task import run

            return run(spec, config)

        main()
    except (HydraException, OmegaConfBaseException, UsageError) as error:
        if wants_full_error:
            raise
        print(f"error: {describe(error)}", file=sys.stderr)
        sys.exit(EXIT_USAGE)
