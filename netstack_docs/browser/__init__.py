"""Trace in the reader's browser: the site's /trace/ page runs netstack_docs.analysis.trace in Pyodide.

`flow` is what the page calls (stdlib only, like everything it imports); `assets` writes the page's
files at build time: the Python modules trace imports, the layer model as JSON, the environment list,
and the Pyodide runtime vendored into this package by scripts/fetch-pyodide.
"""
