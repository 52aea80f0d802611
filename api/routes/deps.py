"""Shared route dependencies and responses."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import StreamingResponse

from ingest.runtime import Runtime


def runtime(request: Request) -> Runtime:
    return request.app.state.rt


def stream_object(rt: Runtime, sha: str, media_type: str, filename: str, size: int | None = None, inline: bool = False):
    """An object of the store as a download, read in 1 MiB pieces (a PDF is never held whole in memory)."""

    def body():
        with rt.store.open(sha) as f:
            while chunk := f.read(1024 * 1024):
                yield chunk

    disposition = "inline" if inline or media_type == "application/pdf" else "attachment"
    headers = {"Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(filename)}"}
    if size:
        headers["Content-Length"] = str(size)
    return StreamingResponse(body(), media_type=media_type, headers=headers)
