"""The seller API, ``/api/v1/`` (README "Integrate your ERP"): the seller center's reads and
actions for a shop's ERP, and the order system's import. Views are thin: they find the row
through the same actor-scoped selectors, validate with the same forms and call the same
services as the pages; no rule lives here."""
