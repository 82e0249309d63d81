"""The only layer that talks to people: the CLI, the prompts and the Textual dashboard.

UI libraries (rich, questionary, textual) are imported inside the functions that show UI, so
``flowwiz --help`` and unattended runs stay fast.
"""

__version__ = "0.1.0"
