# -*- coding: latin-1 -*-
from prefect import flow


@flow
def latin_with_cookie():
    """Résumé du jour."""
