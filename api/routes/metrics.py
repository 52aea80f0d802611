"""``GET /metrics`` for Prometheus.

Public in the access matrix like ``/api/v1/health``, which tells more (signer names, certificate dates): it
holds counts and durations by route template and task kind, never an id, a name or a text. Prometheus then
needs no API key — an API key would need a role, and every role of ``ingest.identity`` opens documents,
accounts or the audit trail, more than a scraper should hold. What keeps it off the Internet is
``SOHOA_METRICS_NETWORKS`` (docker-compose.yml: the private ranges its network lives in) and a reverse proxy
that does not forward ``/metrics``.
"""

from __future__ import annotations

import ipaddress

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4

from api.problems import Problem
from ingest import metrics

router = APIRouter(tags=["health"])


def networks(spec: str) -> list:
    """Parse ``SOHOA_METRICS_NETWORKS``; a bad entry is an error at start-up, not a silent open door."""
    out = []
    for part in (p.strip() for p in spec.split(",")):
        if part:
            try:
                out.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise ValueError(f"SOHOA_METRICS_NETWORKS: {part!r} is not a network (e.g. 10.0.0.0/8)") from None
    return out


@router.get("/metrics", response_class=Response, summary="Prometheus metrics (text exposition format)")
def prometheus(request: Request):
    allowed = request.app.state.metrics_networks
    if allowed:
        host = request.client.host if request.client else ""
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        if address is None or not any(address in net for net in allowed):
            raise Problem(403, "Forbidden", f"/metrics is served to {', '.join(map(str, allowed))} only (SOHOA_METRICS_NETWORKS)")
    body = metrics.exposition(request.app.state.rt.settings.metrics_dir, [request.app.state.queue_collector])
    return Response(body, media_type=CONTENT_TYPE_PLAIN_0_0_4)  # the format every Prometheus reads
