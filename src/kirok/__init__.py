"""kirok (기록): documentation, linkage, estimation and reporting for human-rights monitoring."""

__version__ = "0.1.0"
