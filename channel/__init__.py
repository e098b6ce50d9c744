"""Channel Lens: channel-partner performance from CRM exports, in DuckDB.

Modules: ``contract`` (the import files), ``loader`` (validate and build the database),
``runner`` (named SQL queries -> Polars), ``fiscal`` and ``settings``, ``demo`` (realistic data),
``charts`` (pure Plotly builders), ``cli`` (``python -m channel``).
"""

# Bump when the database layout or a build query changes; the app refuses older files.
SCHEMA_VERSION = 4
