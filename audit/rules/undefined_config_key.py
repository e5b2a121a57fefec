"""undefined-config-key: code reads a Hydra config key that no YAML file of the config defines."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from audit.config_keys import ConfigKeyRule, analyse
from audit.model import Finding
from audit.project import Project
from audit.rule import FixSafety, Remedy


class UndefinedConfigKey(ConfigKeyRule):
    name = "undefined-config-key"
    summary = "Code reads a Hydra config key that no config file defines."
    remedy = Remedy("Define the config keys the code reads", "quick-wins", "low", 5, harm="high")
    rationale = (
        "In struct mode a read of a key no config defines raises `ConfigAttributeError`, and it does so when "
        "that line runs: after the data is loaded, at the first validation, hours into a job. Outside struct "
        "mode it quietly yields `None`. Either way the config no longer documents what the code needs. Only "
        "plain reads count (`cfg.a.b`, `cfg['a']`), under a node whose keys the YAML gives in full; "
        "`.get(...)`, `in` and `hasattr` tests, and keys the code writes, are not reported."
    )
    advice = (
        "Add the key, with its default, to the config file of its group, so that the config is the single "
        "source of truth; or read it with `cfg.get(key, default)` where a missing value is really expected."
    )
    bad_example = '''
# file: train.py
import hydra

@hydra.main(version_base="1.3", config_path="configs", config_name="train")
def main(cfg):
    print(cfg.trainer.max_epochs, cfg.trainer.gradient_clip)   # gradient_clip is nowhere

# file: configs/train.yaml
trainer:
  max_epochs: 10
'''
    good_example = '''
# file: train.py
import hydra

@hydra.main(version_base="1.3", config_path="configs", config_name="train")
def main(cfg):
    print(cfg.trainer.max_epochs, cfg.trainer.get("gradient_clip", 0.0))

# file: configs/train.yaml
trainer:
  max_epochs: 10
'''
    fix_safety = FixSafety("none", "No automatic fix: the key's value has to be chosen by the author.")
    references = (
        "https://hydra.cc/docs/tutorials/structured_config/schema/",
    )
    status = "preview"

    def check_project(self, project: Project, facts: Mapping[str, Any], options: Mapping[str, Any]
                      ) -> Iterator[Finding]:
        for read in analyse(project, facts).undefined:
            key = ".".join(read.key)
            folder = project.display(read.folder)
            yield Finding(self.name, read.path, read.use.line, read.use.line, read.use.column,
                          f"reads config key `{key}`, which no file under `{folder}` defines")
