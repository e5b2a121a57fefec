"""``python -m reference_trainers.mel.build_data [data=smoke] [overwrite=true] [key=value]``: write the HDF5 dataset.

The config is composed with Hydra's compose API from ``configs/build_data.yaml``
(no run directory is made). Exit status 0 on success, 2 with one line on stderr
for bad input, an existing file included.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from omegaconf.errors import OmegaConfBaseException

from reference_trainers.common.composition import check_command_line
from reference_trainers.common.errors import UsageError
from reference_trainers.common.launch import EXIT_USAGE, describe, register
from reference_trainers.mel.config import BUILD_SPEC

log = logging.getLogger("reference_trainers.mel.build_data")


def main(argv: list[str] | None = None) -> None:
    from hydra.errors import HydraException

    arguments = sys.argv[1:] if argv is None else list(argv)
    if {"-h", "--help"}.intersection(arguments):
        print(__doc__)
        return
    register(BUILD_SPEC)
    try:
        config = check_command_line(BUILD_SPEC, arguments)
        from reference_trainers.common.console import console_handler
        from reference_trainers.mel.data import write_dataset

        logging.basicConfig(level=config.log_level, handlers=[console_handler()])
        path = write_dataset(Path(config.data.path), config.data.clips, overwrite=config.overwrite)
    except (HydraException, OmegaConfBaseException, UsageError) as error:
        if os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        print(f"error: {describe(error)}", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    log.info("wrote %s", path)


if __name__ == "__main__":
    main()
