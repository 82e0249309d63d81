try:
    from prefect import flow
except ImportError:  # lets the module import where Prefect is not installed

    def flow(fn=None, **kwargs):
        return fn


@flow
def guarded():
    pass
