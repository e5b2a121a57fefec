"""Pre-refactor versions of the reference trainers' entry points, kept to show what `audit` finds.

Not part of the refactored code base: `audit scan reference_trainers` never sees it.
"""
