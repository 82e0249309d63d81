from prefect import flow


class Pipeline:
    @flow
    def run(self):
        pass

    @staticmethod
    @flow(name="static")
    def static_run():
        pass


@flow
def module_level():
    pass
