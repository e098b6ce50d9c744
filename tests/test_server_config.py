"""The server settings in .streamlit/config.toml as Streamlit reads them."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = {
    "global.developmentMode": False,
    "server.address": "127.0.0.1",
    "server.enableXsrfProtection": True,
    "server.enableCORS": True,
    "server.runOnSave": False,
    "server.fileWatcherType": "none",
    "server.maxUploadSize": 1,
    "server.enableStaticServing": False,
    "client.showErrorDetails": "type",
}


def test_streamlit_reads_the_safe_settings():
    # a fresh interpreter in the repository root, as `streamlit run app.py` would start
    code = (
        "import json; from streamlit import config; config.get_config_options(force_reparse=True); "
        f"print(json.dumps({{k: config.get_option(k) for k in {sorted(EXPECTED)!r}}}))"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(ROOT)}  # no STREAMLIT_* overrides from outside
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    import json

    assert json.loads(out.stdout.strip().splitlines()[-1]) == EXPECTED


def test_the_app_offers_no_file_upload():
    """No page uploads files, so the upload limit can stay at its minimum."""
    files = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "channel").rglob("*.py")]
    calls = {
        node.func.attr
        for file in files
        for node in ast.walk(ast.parse(file.read_text()))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    assert not calls & {"file_uploader", "chat_input", "camera_input", "audio_input"}
