"""The country report's live queries, one module per family of sections.

``kirok.services.report.build_report`` assembles them; the counting and consent rules every
module follows are stated once in :mod:`kirok.services.reporting.queries`.
"""
