"""Signed webhooks: events derived from ref movements, queued in the accounts database, POSTed by a
background thread per process with retries, and a delivery log per endpoint.

- ``addresses``: which URLs may be sent to (public http(s) only, unless WEBHOOKS_ALLOW_PRIVATE);
- ``events``: what moved on the watched refs, as event payloads;
- ``queue``: the tables (endpoints, deliveries and their leases, attempts, refs last seen);
- ``sender``: the signature and one POST; ``service``: the thread that ties them together.
"""

from __future__ import annotations

from flask import Flask, Response, request

from .addresses import UnsafeWebhookURL
from .addresses import check as check_url
from .events import COMMENTS_REF
from .queue import EVENTS, WebhookQueue
from .sender import SIGNATURE_HEADER, signature
from .service import Settings, WebhookService

__all__ = ["COMMENTS_REF", "EVENTS", "SIGNATURE_HEADER", "Settings", "UnsafeWebhookURL", "WebhookQueue",
           "WebhookService", "check_url", "init_app", "signature"]

def init_app(app: Flask) -> None:
    """Make the app's webhook service; its thread starts in each serving process once an endpoint
    exists (not on a read replica: its refs follow the primary, which sends the events)."""
    url_map = app.url_map

    def path_for(endpoint: str, **values: object) -> str:
        return url_map.bind("localhost").build(endpoint, values)

    service = WebhookService(app.extensions["wiki_store"], WebhookQueue(app.extensions["wiki_users"].database),
                             Settings.from_config(app.config), path_for)
    app.extensions["wiki_webhooks"] = service
    if app.config.get("PRIMARY_URL"):
        service.stop()
        return

    @app.before_request
    def start_sender() -> None:
        service.serving = True
        service.ensure_running()

    @app.after_request
    def after_push(response: Response) -> Response:
        if request.endpoint == "git_http.receive_pack":  # refs move while the answer streams
            response.call_on_close(service.poke)
        return response
