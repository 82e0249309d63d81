from prefect import flow


def make_flow():
    @flow
    def inner():
        pass

    return inner


@flow
async def outer():
    @flow
    def sub():
        pass

    return sub()
