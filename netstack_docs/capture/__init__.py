"""Capture: the only package that talks to the kernel. It produces a snapshot document, nothing else."""

from netstack_docs.capture.pyroute2lean import use_lean_package

use_lean_package()  # before any capture module imports pyroute2: not its every-API package __init__
