"""Site: write the build mkdocs.yml, run mkdocs build strictly into a new directory, swap it in."""
