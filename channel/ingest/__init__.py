"""Ingest: read CRM exports (Salesforce, HubSpot and other reports) for a mapped import.

Modules:
- ``readers``: read a source file (CSV in any common encoding, XLSX, Parquet) faithfully into a
  Polars frame of text, with the source line or row of every record.
- ``values``: turn those texts into typed contract values.
"""
