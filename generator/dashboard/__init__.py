"""The dashboard: a Streamlit app over a built warehouse's marts, served on 127.0.0.1.

`serve` checks the warehouse first and says in one line what is wrong with it (the pages
say the same); the app opens the file read-only for each query, so dbt and the generator
can rebuild it while the dashboard runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from generator.dashboard.warehouse import Warehouse, WarehouseError

APP = Path(__file__).with_name("app.py")
HOST = "127.0.0.1"
# every page: its path under the app's address ("" for the first) and its title
PAGES = [
    ("kpis", "KPIs"),
    ("retention", "Retention"),
    ("funnels", "Funnels"),
    ("experiments", "Experiments"),
    ("segments", "Segments and personas"),
    ("llm", "LLM quality"),
    ("planted", "Planted vs measured"),
]


def command(db: str | Path, port: int) -> list[str]:
    """The streamlit command serving the app over `db` on HOST:port."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address",
        HOST,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
        "--theme.base",
        "light",
        "--",
        "--db",
        str(Path(db).resolve()),
    ]


def status(db: str | Path) -> str | None:
    """What keeps the warehouse from being shown, in one line, or None."""
    try:
        Warehouse(Path(db).resolve()).check()
    except WarehouseError as exc:
        return str(exc)
    return None


def serve(db: str | Path, port: int) -> int:
    """Serve the dashboard until interrupted; the warehouse's state is printed first."""
    problem = status(db)
    if problem:
        print(f"warning: {problem}; the pages will say so until it is built", file=sys.stderr)
    print(f"dashboard: http://{HOST}:{port} over {db} (Ctrl-C stops it)", flush=True)
    try:
        return subprocess.call(command(db, port))
    except KeyboardInterrupt:
        return 0
