"""Bulk import and export: readers, mappings, conversion, writers, exchange packages."""
