from django.utils.functional import SimpleLazyObject

from orders.selectors import shops_for_member


def roles(request) -> dict:
    """Whether the header shows the seller center link; asked only if a template uses it."""
    return {"is_seller": SimpleLazyObject(lambda: shops_for_member(request.user).exists())}
