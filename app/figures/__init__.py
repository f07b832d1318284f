"""Plotly figure builders: rows in, go.Figure out. No database, no request."""
