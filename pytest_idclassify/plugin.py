"""The pytest plugin: wires pytest's options, fixtures and markers to code that lives elsewhere."""

from __future__ import annotations
