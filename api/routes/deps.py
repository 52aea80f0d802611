"""Shared route dependencies."""

from __future__ import annotations

from fastapi import Request

from ingest.runtime import Runtime


def runtime(request: Request) -> Runtime:
    return request.app.state.rt
