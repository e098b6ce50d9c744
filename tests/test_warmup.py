"""serve.py's warm-up: it runs the hot queries on the configured database and never raises."""

from __future__ import annotations

import ast
from pathlib import Path

import channel.runner
from channel.warmup import warm_up

ROOT = Path(__file__).resolve().parent.parent


def test_warm_up_reads_the_database(tiny_db, monkeypatch):
    monkeypatch.setenv("CHANNEL_DB", str(tiny_db))
    seen = []
    real = channel.runner.run

    def spy(name, db=None, **params):
        seen.append(name)
        return real(name, db=db, **params)

    monkeypatch.setattr(channel.runner, "run", spy)
    assert warm_up() >= 0
    assert seen == ["overview_kpis", "attention_list"]


def test_warm_up_never_raises(tmp_path, monkeypatch):
    monkeypatch.setenv("CHANNEL_DB", str(tmp_path / "missing.duckdb"))
    assert warm_up() >= 0  # the set-up page explains a missing database, not the server


def test_serve_py_is_an_st_app_over_app_py():
    """`streamlit run serve.py` finds an st.App (Streamlit reads the file's syntax tree)."""
    tree = ast.parse((ROOT / "serve.py").read_text())
    apps = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Call)
        and ast.unparse(node.value.func) == "st.App"
    ]
    assert len(apps) == 1 and ast.literal_eval(apps[0].args[0]) == "app.py"
