"""Sphinx configuration for personalize-django."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

project = "personalize-django"
author = "The personalize-django developers"
copyright = "2026, the personalize-django developers"
release = "0.1.0.dev0"

extensions = ["sphinx.ext.autodoc", "sphinx.ext.intersphinx", "sphinx.ext.viewcode"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_mock_imports = ["boto3", "botocore", "requests", "numpy", "scipy", "celery", "rest_framework", "drf_spectacular"]
# Offline builds: no intersphinx inventories are fetched.
intersphinx_mapping: dict = {}
nitpicky = False

html_theme = "furo"
html_title = "personalize-django"
html_static_path = ["_static"]
exclude_patterns = ["_build"]
