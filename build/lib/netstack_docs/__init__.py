"""netstack-docs: document the Linux network stack of real hosts as a versioned site."""

__version__ = "0.1.0"
