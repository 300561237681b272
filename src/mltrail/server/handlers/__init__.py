"""Request handlers: a few lines each over the stores, ``handler(ctx, request) -> response dict``.

The request dict is already checked against the endpoint's declared fields
(:mod:`mltrail.server.routing`); errors are raised as ``MltrailError``.
"""
