"""Side effects: prefect.yaml, .prefectignore, the block store, remote storage.

Builders here are pure (data in, text or mappings out); one ``apply`` per writer touches
disk, keyring or network. No UI imports in this package.
"""
