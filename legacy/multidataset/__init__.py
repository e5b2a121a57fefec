"""The multi-dataset trainer before its refactor: one long module with a command line, and its backups."""
