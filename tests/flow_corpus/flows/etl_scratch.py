# excluded by the root .gitignore rule `*_scratch.py`
from prefect import flow


@flow
def scratch():
    pass
