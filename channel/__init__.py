"""Channel Lens: channel-partner performance from CRM exports, in DuckDB.

Modules: ``contract`` (the import files), ``loader`` (validate and build the database),
``sqlfiles`` (the SQL files and their ``$names``, below the loader and the runner), ``runner``
(named SQL queries -> Polars), ``forecast`` and ``risk`` (the miss forecast), ``filters`` (the
global filters), ``fiscal`` and ``settings``, ``demo`` (realistic data), ``charts`` (pure Plotly
builders), ``ui`` (the Streamlit page kit), ``cli`` (``python -m channel``).
"""

# Bump when the database layout or a build query changes; the app refuses older files.
SCHEMA_VERSION = 7
