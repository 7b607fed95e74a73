"""The studio configuration: loading (``loader``) and the typed objects it produces (``model``)."""

from __future__ import annotations
