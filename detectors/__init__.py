"""Read-only detection: git remotes and branch, flow entrypoints, project files.

Detectors look and never touch: each takes a path and returns frozen dataclasses.
No prompts, no printing, no writing, and no UI (or keyring) imports in this package.
"""
