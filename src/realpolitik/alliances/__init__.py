"""Every alliance since 1816: ideology vs interest on CoW dyad-years (ATOP alliances).

Modules: `catalog` (datasets, versions, citations), `store` (data directory, import),
`panel` (dyad-year verbs), `models` (logits, AMEs, verdict), `export` (csv/parquet/dta),
`api` (the public functions re-exported here).
"""

from __future__ import annotations

from realpolitik.alliances.api import (
    alliance_edges,
    build_panel,
    data_status,
    fit_alliances,
    import_data,
)

__all__ = ["alliance_edges", "build_panel", "data_status", "fit_alliances", "import_data"]
