"""Who may call what: the role × endpoint matrix, written down once, as data.

``api.security.authorize`` enforces it for every route; an endpoint missing here is refused to everybody
(and a test fails), so a new route cannot ship open by accident. Beyond the role, the same dependency checks
ownership through the path: a ``document_id``, ``batch_id``, dossier ``code``, ``copy_id`` or ``job_id`` of
another agency is refused, and a citizen reaches only documents that are their own results.

Roles (``ingest.identity``): clerk (scanning, review, dossiers), signer (personal signature), van_thu (agency
signature, sending and receiving), agency_admin (users, keys, archive), citizen, auditor (the audit trail).
"""

from __future__ import annotations

PUBLIC = "public"  # no login: verification pages, share links, login itself, instance-to-instance doors
SIGNED = "signed"  # no login, but the body must be signed by an agency in the address book (checked by the route)
ANY = "any"  # any logged-in principal

CLERK, SIGNER, VAN_THU, ADMIN, CITIZEN, AUDITOR = "clerk", "signer", "van_thu", "agency_admin", "citizen", "auditor"
STAFF = frozenset({CLERK, SIGNER, VAN_THU, ADMIN})  # people who work with the agency's documents


def roles(*names: str) -> frozenset[str]:
    return frozenset(names)


MATRIX: dict[str, str | frozenset[str]] = {
    "GET /": PUBLIC,  # redirects to the pages (/web/)
    "GET /api/v1/health": PUBLIC,
    "GET /metrics": PUBLIC,  # counts and durations only; kept in by SOHOA_METRICS_NETWORKS (api/routes/metrics.py)
    # logging in and accounts
    "POST /api/v1/auth/token": PUBLIC,
    "GET /api/v1/auth/me": ANY,
    "POST /api/v1/users": roles(ADMIN),
    "GET /api/v1/users": roles(ADMIN),
    "PATCH /api/v1/users/{user_id}": roles(ADMIN),
    "POST /api/v1/api-keys": roles(ADMIN),
    "GET /api/v1/api-keys": roles(ADMIN),
    "DELETE /api/v1/api-keys/{key_id}": roles(ADMIN),
    # digitizing
    "POST /api/v1/batches": roles(CLERK, ADMIN),
    "GET /api/v1/batches/{batch_id}": roles(CLERK, ADMIN),
    "GET /api/v1/documents": STAFF,
    "GET /api/v1/documents/{document_id}": STAFF,
    "GET /api/v1/documents/{document_id}/text": STAFF,
    "GET /api/v1/documents/{document_id}/pdf": STAFF | {CITIZEN},
    "GET /api/v1/documents/{document_id}/original": STAFF,
    "GET /api/v1/documents/{document_id}/pages/{number}/image": STAFF,
    "GET /api/v1/documents/{document_id}/pages/{number}/words": STAFF,
    "GET /api/v1/review": roles(CLERK, ADMIN),
    "PATCH /api/v1/documents/{document_id}": roles(CLERK, ADMIN),
    "GET /api/v1/documents/{document_id}/history": STAFF | {AUDITOR},
    "GET /api/v1/search": STAFF,
    # signatures
    "POST /api/v1/documents/{document_id}/sign": roles(SIGNER, VAN_THU),
    "POST /api/v1/documents/{document_id}/certified-copy": roles(VAN_THU),
    "GET /api/v1/sign-jobs/{job_id}": roles(SIGNER, VAN_THU, ADMIN),
    "GET /api/v1/documents/{document_id}/versions": STAFF,
    "GET /api/v1/documents/{document_id}/versions/{number}/pdf": STAFF,
    "GET /api/v1/documents/{document_id}/copies": STAFF,
    "GET /api/v1/copies/{copy_id}/pdf": STAFF,
    "GET /api/v1/documents/{document_id}/validation": STAFF,
    "POST /api/v1/validate": STAFF,
    # reuse
    "POST /api/v1/agencies": roles(ADMIN),
    "GET /api/v1/agencies": STAFF | {AUDITOR},
    "POST /api/v1/dossiers": roles(CLERK, ADMIN),
    "GET /api/v1/dossiers/{code}": STAFF,
    "PATCH /api/v1/dossiers/{code}": roles(CLERK, ADMIN),
    "POST /api/v1/dossiers/{code}/results": roles(CLERK, ADMIN),
    "POST /api/v1/results": roles(CLERK, VAN_THU, ADMIN),
    "PATCH /api/v1/results/{result_id}": roles(VAN_THU, ADMIN),
    "GET /api/v1/reuse": STAFF,
    "GET /api/v1/citizens/me/results": roles(CITIZEN),
    "POST /api/v1/documents/{document_id}/share": roles(CLERK, VAN_THU, ADMIN, CITIZEN),
    "DELETE /api/v1/shares/{token}": roles(CLERK, VAN_THU, ADMIN, CITIZEN),
    "GET /verify/{code}": PUBLIC,
    "GET /verify/{code}/qr.png": PUBLIC,
    "POST /api/v1/verify": PUBLIC,
    "GET /share/{token}": PUBLIC,
    "GET /api/v1/outbox": roles(VAN_THU, ADMIN),
    "POST /api/v1/outbox/deliver": roles(VAN_THU, ADMIN),
    "POST /api/v1/outbox/{message_id}/retry": roles(VAN_THU, ADMIN),
    # archive
    "POST /api/v1/fixity": roles(ADMIN),
    "GET /api/v1/fixity/{run_id}": roles(ADMIN, AUDITOR),
    "GET /api/v1/dossiers/{code}/export": roles(CLERK, ADMIN),
    "POST /api/v1/import": roles(ADMIN),
    "DELETE /api/v1/documents/{document_id}": roles(ADMIN),
    # exchange between agencies: people on this instance, and the doors other instances knock on
    "GET /api/v1/exchange/identity": PUBLIC,  # this agency's id and certificate, for the others' address books
    "GET /api/v1/exchange/address-book": roles(VAN_THU, ADMIN),
    "POST /api/v1/exchange/address-book": roles(ADMIN),
    "GET /api/v1/exchange/address-book/{agency_id}": roles(VAN_THU, ADMIN),
    "DELETE /api/v1/exchange/address-book/{agency_id}": roles(ADMIN),
    "POST /api/v1/exchange/outbox": roles(VAN_THU),
    "GET /api/v1/exchange/outbox": roles(VAN_THU, ADMIN),
    "GET /api/v1/exchange/outbox/{envelope_id}": roles(VAN_THU, ADMIN),
    "POST /api/v1/exchange/outbox/{envelope_id}/recall": roles(VAN_THU),
    "GET /api/v1/exchange/deliveries": roles(VAN_THU, ADMIN),
    "POST /api/v1/exchange/deliveries/{message_id}/retry": roles(VAN_THU, ADMIN),
    "POST /api/v1/exchange/deliver": roles(VAN_THU, ADMIN),
    "POST /api/v1/exchange/inbox": SIGNED,  # another instance: the envelope's signature and the address book decide
    "GET /api/v1/exchange/inbox": roles(CLERK, VAN_THU, ADMIN),
    "GET /api/v1/exchange/inbox/{received_id}": roles(CLERK, VAN_THU, ADMIN),
    "GET /api/v1/exchange/inbox/{received_id}/attachments/{number}": roles(CLERK, VAN_THU, ADMIN),
    "POST /api/v1/exchange/inbox/{received_id}/status": roles(CLERK, VAN_THU),
    "POST /api/v1/exchange/status": SIGNED,  # another instance reports a status, signed
    # audit
    "GET /api/v1/audit": roles(AUDITOR),
    "GET /api/v1/audit/verify": roles(AUDITOR),
    "GET /api/v1/audit/export": roles(AUDITOR),
    # the pages (api/web): a refusal there is a page, not logged in a redirect to the login page
    "GET /web/": ANY,  # sends each person to the page of their work
    "GET /web/login": PUBLIC,
    "POST /web/login": PUBLIC,
    "POST /web/logout": ANY,
    "GET /web/lang/{locale}": PUBLIC,
    "GET /web/upload": roles(CLERK, ADMIN),
    "POST /web/upload": roles(CLERK, ADMIN),
    "GET /web/batches/{batch_id}": roles(CLERK, ADMIN),
    "GET /web/batches/{batch_id}/progress": roles(CLERK, ADMIN),
    "GET /web/review": roles(CLERK, ADMIN),
    "GET /web/documents/{document_id}": STAFF,
    "POST /web/documents/{document_id}/correct": roles(CLERK, ADMIN),
    "POST /web/documents/{document_id}/split": roles(CLERK, ADMIN),
    "GET /web/search": STAFF,
    "GET /web/dossiers/{code}": STAFF,
    "GET /web/sign": roles(SIGNER, VAN_THU),
    "GET /web/sign/{document_id}": roles(SIGNER, VAN_THU),
    "GET /web/sign/{document_id}/preview.png": roles(SIGNER, VAN_THU),
    "POST /web/sign/{document_id}": roles(SIGNER, VAN_THU),
    "GET /web/sign-jobs/{job_id}": roles(SIGNER, VAN_THU, ADMIN),
    "GET /web/sign-jobs/{job_id}/state": roles(SIGNER, VAN_THU, ADMIN),
    "GET /web/me": roles(CITIZEN),
    "POST /web/documents/{document_id}/share": roles(CLERK, VAN_THU, ADMIN, CITIZEN),
    "POST /web/shares/{token}/revoke": roles(CLERK, VAN_THU, ADMIN, CITIZEN),
    "GET /web/verify": PUBLIC,
    "POST /web/verify": PUBLIC,
    "GET /web/audit": roles(AUDITOR),
    "GET /web/audit/verify": roles(AUDITOR),
    "GET /web/dashboard": roles(ADMIN),
    "GET /web/dashboard.csv": roles(ADMIN),
}


def rule(method: str, path: str) -> str | frozenset[str] | None:
    return MATRIX.get(f"{method.upper()} {path}")
