"""The web application: pages and the JSON API over kirok's services."""
