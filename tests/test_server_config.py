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
    "server.maxUploadSize": 200,
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


def test_only_the_import_page_takes_files():
    """Only the Import data page uploads files (a CRM export); no other page or module may, so
    the upload limit is the import's concern alone."""
    files = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "channel").rglob("*.py")]
    takers = {
        (file.relative_to(ROOT).as_posix(), node.func.attr)
        for file in files
        for node in ast.walk(ast.parse(file.read_text()))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"file_uploader", "chat_input", "camera_input", "audio_input"}
    }
    assert takers == {("pages/import_data.py", "file_uploader")}
