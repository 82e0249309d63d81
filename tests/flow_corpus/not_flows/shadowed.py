from prefect import flow


@flow
def before_shadow():
    pass


def flow(fn):  # noqa: F811  shadows Prefect's decorator from here on
    return fn


@flow
def after_shadow():
    pass
