"""The single-file capture bundle: a zipapp of the capture half and pyroute2, for bare hosts."""
