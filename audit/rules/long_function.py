"""long-function: functions longer than ``max-function-lines``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from audit.model import Finding
from audit.rule import FixSafety, Option, Remedy, Rule, non_negative_int
from audit.source import SourceModule


class LongFunction(Rule):
    name = "long-function"
    summary = "Function or method longer than `max-function-lines` (default 100)."
    remedy = Remedy("Split long functions into named helpers", "extraction", "medium", 45, saves="excess", caps="lines", harm="low")
    rationale = (
        "A training function that runs for hundreds of lines mixes configuration, set-up, the loop and "
        "clean-up, so no part of it can be read, tested or reused alone, and every change risks the rest. "
        "Long functions are where duplicated set-up, forgotten branches and silent error handling hide."
    )
    advice = (
        "Extract named helpers for each phase (build the data, build the model, build the trainer, run, "
        "summarise) and keep the entry function a short script of calls to them."
    )
    bad_example = '''
def train(cfg):
    os.makedirs(cfg.paths.log_dir, exist_ok=True)
    seed_everything(cfg.seed)
    datamodule = OCRDataModule(cfg.data.root, cfg.data.batch_size, cfg.data.num_workers)
    model = CRNN(cfg.model.hidden, cfg.model.layers)
    if cfg.logger.wandb.enabled:
        logger = WandbLogger(project=cfg.logger.wandb.project)
    else:
        logger = CSVLogger(cfg.paths.log_dir)
    trainer = Trainer(logger=logger, **cfg.trainer)
    trainer.fit(model, datamodule=datamodule)
    # ... and 180 more lines like these ...
'''
    good_example = '''
def train(cfg):
    datamodule = build_datamodule(cfg.data)
    model = build_model(cfg.model)
    trainer = build_trainer(cfg.trainer, logger=build_logger(cfg.logger))
    trainer.fit(model, datamodule=datamodule, ckpt_path=cfg.ckpt_path)
    return summarise(trainer)
'''
    options = (
        Option("max-function-lines", 100, "longest allowed span from `def` to the last body line",
               non_negative_int),
    )
    example_options = {"max-function-lines": 8}
    fix_safety = FixSafety("none", "No automatic fix: splitting a function is a refactoring.")
    references = (
        "https://pylint.readthedocs.io/en/stable/user_guide/messages/refactor/too-many-statements.html",
    )
    status = "stable"

    def check(self, module: SourceModule, options: Mapping[str, Any]) -> Iterator[Finding]:
        limit = options["max-function-lines"]
        for function in module.functions:
            length = function.end - function.start + 1
            if length > limit:
                yield module.finding(
                    self.name, function.node,
                    f"`{function.qualname}` is {length} lines long (limit {limit})",
                    value=length, threshold=limit, end_line=function.end,
                )
