"""Pure geography shared by services: ward cells, point → ward, inside-the-province checks (shapely only)."""
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
OUTLINES = DATA_DIR / "province_outlines.geojson"
