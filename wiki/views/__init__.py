"""View blueprints: one per concern, each thin (read the request, call the store, render)."""
