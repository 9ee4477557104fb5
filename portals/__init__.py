"""The portals: the pages people use, one layer above the domain apps.

A portal is one audience's way in: the buyer's pages (my orders, requests), the seller center,
the notification centre, the shop pages with their reviews; later the API. Imports only point
down (``config`` → portals → ``disputes``, ``reviews`` → ``aftersales`` → ``orders``): no
domain app imports a portal, and a portal owns no data and no rules.

Views stay thin: they find the row through a selector already scoped to the actor (someone
else's id is a 404), validate a form, call one service, and report the result. A service
refusing the action because the request moved on (stale page, double click) becomes a message
above the current page; nothing changes. The staff portal is the Django admin of ``disputes``.
Templates live in the project's ``templates/`` folder.
"""
