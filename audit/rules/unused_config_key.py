"""unused-config-key: a key of a Hydra YAML config that no code or interpolation reads."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from audit.config_keys import ConfigKeyRule, analyse
from audit.model import Finding
from audit.project import Project
from audit.rule import FixSafety, Remedy


class UnusedConfigKey(ConfigKeyRule):
    name = "unused-config-key"
    summary = "Hydra config key that no code, interpolation or instantiated target reads."
    remedy = Remedy("Delete config keys nothing reads", "quick-wins", "low", 3, saves="span")
    rationale = (
        "A key nobody reads still looks like a knob: someone tunes `runtime.min_auto_devices`, reruns a "
        "week of experiments, and nothing changes. Dead keys also hide the live ones when a config is read to "
        "understand a run. The audit follows the config from each `@hydra.main` function through the scanned "
        "code (reads, `.get`, `OmegaConf.select`, `${...}` interpolations, `_target_` arguments, nodes passed "
        "whole) and reports only the keys nothing can reach; a node that escapes where it cannot be followed "
        "makes every key under it count as read. It runs only when whole folders are scanned."
    )
    advice = (
        "Delete the key, or wire it to the code that was meant to read it. If something outside the scanned "
        "folders reads it, scan that code too or suppress the line with `# audit: ignore[unused-config-key]`."
    )
    bad_example = '''
# file: train.py
import hydra

@hydra.main(version_base="1.3", config_path="configs", config_name="train")
def main(cfg):
    print(cfg.trainer.max_epochs)

# file: configs/train.yaml
trainer:
  max_epochs: 10
  auto_scale_devices: true   # nothing reads it
'''
    good_example = '''
# file: train.py
import hydra

@hydra.main(version_base="1.3", config_path="configs", config_name="train")
def main(cfg):
    print(cfg.trainer.max_epochs)

# file: configs/train.yaml
trainer:
  max_epochs: 10
'''
    fix_safety = FixSafety("none", "No automatic fix: a key may be read by code outside the scanned folders.")
    references = (
        "https://hydra.cc/docs/tutorials/basic/your_first_app/config_file/",
    )
    status = "preview"

    def check_project(self, project: Project, facts: Mapping[str, Any], options: Mapping[str, Any]
                      ) -> Iterator[Finding]:
        for definition in analyse(project, facts).unused:
            key = ".".join(definition.path)
            yield Finding(self.name, project.display(definition.file), definition.line, definition.line, 1,
                          f"config key `{key}` is set here but nothing reads it: no code, interpolation "
                          f"or instantiated target")
