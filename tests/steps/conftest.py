"""Fixtures shared by the step tests."""

from __future__ import annotations

import builtins

import pytest


@pytest.fixture
def no_hyperscan(monkeypatch):
    """``import hyperscan`` fails, as on a machine without it (it ships x86-64 wheels only)."""
    real_import = builtins.__import__

    def importer(name, *args, **kwargs):
        if name == "hyperscan":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", importer)
