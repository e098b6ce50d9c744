"""Work the first page view would otherwise do, done once when the server starts (serve.py)."""

from __future__ import annotations

import logging
import time

_LOG = logging.getLogger("channel.warmup")


def warm_up() -> float:
    """Import the page code and read the database's hot tables once; seconds taken. Never raises:
    a missing database is the set-up page's business, not the server's."""
    t0 = time.perf_counter()
    try:
        import plotly.graph_objects as go

        from channel.filters import no_filters
        from channel.runner import database, run

        # Plotly loads each trace type's validators on first use
        go.Figure([go.Bar(), go.Scatter(), go.Heatmap(), go.Scattergl(), go.Sankey()])
        database().identity()
        everyone = {"as_of": None, **no_filters()}
        run("overview_kpis", **everyone)
        run("attention_list", limit=25, **everyone)
    except Exception as e:  # the pages report database problems to the user
        _LOG.info("warm-up stopped early: %s", e)
    seconds = time.perf_counter() - t0
    _LOG.info("warm-up took %.2f s", seconds)
    return seconds
