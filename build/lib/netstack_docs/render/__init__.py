"""Render: the classified model of each host -> Markdown pages in a build directory (Jinja2 templates)."""
