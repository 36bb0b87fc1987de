"""Capture: the only package that talks to the kernel. It produces a snapshot document, nothing else."""
