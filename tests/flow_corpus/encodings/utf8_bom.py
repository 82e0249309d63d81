from prefect import flow


@flow
def bom_flow():
    """Saved by an editor that writes a BOM."""
