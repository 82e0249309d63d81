from prefect import flow


@flow
def latin_without_cookie():
    """Résumé."""
