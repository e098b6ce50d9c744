"""Production entry point: ``streamlit run serve.py`` serves app.py, warmed up at start.

The first visitor after a server start would otherwise pay for importing Polars, DuckDB, Plotly
and the chart code, and for DuckDB's first reads of the file: about 3 s extra at 100,000
partners. The lifespan hook does that work in a background thread while the server starts, so
the first page draws as fast as the later ones. ``streamlit run app.py`` still works (it is what
the tests and `make bench` use); it only skips the warm-up.
"""

from __future__ import annotations

import contextlib
import threading

import streamlit as st


def _warm_up() -> None:
    from channel.warmup import warm_up

    warm_up()


@contextlib.asynccontextmanager
async def _lifespan(app: st.App):
    threading.Thread(target=_warm_up, name="channel-warm-up", daemon=True).start()
    yield


app = st.App("app.py", lifespan=_lifespan)
