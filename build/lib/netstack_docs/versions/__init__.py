"""Versions: compare snapshots, write the changes pages, publish dated versions with mike."""
