"""The YAML files shipped inside the package, as the objects their registry entries point to.

A taxonomy or rating scheme is registered as something with ``read_text()`` (a path or an
``importlib.resources`` file), so a third-party package registers its own YAML the same way::

    [project.entry-points."company_reviewer.taxonomies"]
    retail = "my_package:RETAIL_TAXONOMY"   # RETAIL_TAXONOMY = files("my_package") / "retail.yaml"
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

_ROOT = files("company_reviewer")


def default_artifact_path() -> Path:
    """The embedded model's bundle shipped in the package (its rating heads, detector, aspect heads)."""
    return Path(str(_ROOT / "artifacts" / "embedded"))


DEFAULT_TAXONOMY = _ROOT / "taxonomies" / "default.yaml"
KUNUNU_TAXONOMY = _ROOT / "taxonomies" / "kununu.yaml"
INDEED_TAXONOMY = _ROOT / "taxonomies" / "indeed.yaml"
HOTEL_TAXONOMY = _ROOT / "taxonomies" / "hotel.yaml"

GLASSDOOR_SCHEME = _ROOT / "evaluate" / "schemes" / "glassdoor.yaml"
INDEED_SCHEME = _ROOT / "evaluate" / "schemes" / "indeed.yaml"
AMBITIONBOX_SCHEME = _ROOT / "evaluate" / "schemes" / "ambitionbox.yaml"
KUNUNU_SCHEME = _ROOT / "evaluate" / "schemes" / "kununu.yaml"
