"""Pure geography shared by services: ward cells, point → ward, inside-the-province checks (shapely only)."""

from libs.refdata import OUTLINES  # noqa: F401  (the outlines live with the other reference data)
