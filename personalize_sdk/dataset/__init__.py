"""Bulk data for Personalize: export to its CSV format, and check data quality.

Nothing here needs more than the standard library. See ``docs/data-quality.rst``.
"""

from .check import USE_CASE_EVENTS, check_files, check_records
from .csv_format import (
    DATASET_TYPES,
    INTERACTIONS,
    ITEMS,
    USERS,
    Column,
    DatasetFormat,
    column_name,
    default_format,
    make_format,
    property_key,
)
from .export import CsvExporter, ExportResult, FileResult
from .findings import CODES, CheckReport, Finding

__all__ = [
    "CODES",
    "DATASET_TYPES",
    "INTERACTIONS",
    "ITEMS",
    "USERS",
    "USE_CASE_EVENTS",
    "CheckReport",
    "Column",
    "CsvExporter",
    "DatasetFormat",
    "ExportResult",
    "FileResult",
    "Finding",
    "check_files",
    "check_records",
    "column_name",
    "default_format",
    "make_format",
    "property_key",
]
