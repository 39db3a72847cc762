"""Use cases combining domain, store and security; the CLI and the web call only these."""
