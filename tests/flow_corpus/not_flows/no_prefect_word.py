from workflows import flow


@flow
def bare_without_import():
    pass
