from prefect import flow


class Jobs:
    @staticmethod
    @flow(name="static-job")
    def nightly(limit: int = 1):
        return limit

    @classmethod
    @flow
    def from_class(cls, region: str = "eu"):
        return region

    @flow
    @staticmethod
    def static_inside():
        pass

    @flow
    def instance_run(self):
        """An instance method: Prefect cannot run it from an entrypoint."""
