"""What the other ``channel.ui`` modules stand on: the cached ``query()``, the database's
settings and currency symbol, and ``md_escape`` for text from the data."""

from __future__ import annotations

import re

import polars as pl
import streamlit as st

from channel.runner import database, run


@st.cache_data(ttl=3600, max_entries=512, show_spinner=False)
def _cached(name: str, path: str, identity: tuple[int, int], params: tuple) -> pl.DataFrame:
    # identity (inode, mtime) is part of the key, so a replaced database is never served stale
    return run(name, db=path, **{k: (list(v) if isinstance(v, tuple) else v) for k, v in params})


def query(name: str, **params: object) -> pl.DataFrame:
    """``channel.runner.run`` with a cache keyed on the query, its parameters and the database."""
    db = database()
    frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))
    return _cached(name, str(db.path), db.identity(), frozen)


def db_settings() -> dict:
    """The settings the database was built with."""
    return query("settings").row(0, named=True)


def currency() -> str:
    return db_settings().get("currency_symbol") or "$"


def md_escape(text: str) -> str:
    """Text from the data (a partner name, say) shown literally inside Streamlit markdown."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:])", r"\\\1", str(text))
