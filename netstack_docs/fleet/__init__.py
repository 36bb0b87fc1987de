"""The fleet capture's controller side: what happens to a snapshot a host's capture printed."""
