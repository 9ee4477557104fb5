from django.utils.functional import SimpleLazyObject

from orders.selectors import shops_for_member


def roles(request) -> dict:
    """For the header: the seller center link and the unread count. Each is queried only if a
    template uses it (the seller center has read the member's shops already)."""
    user = request.user

    def is_seller() -> bool:
        if (shops := getattr(request, "seller_shops", None)) is not None:
            return bool(shops)
        return shops_for_member(user).exists()

    return {
        "is_seller": SimpleLazyObject(is_seller),
        "unread_notifications": SimpleLazyObject(
            lambda: (
                user.notifications.filter(read_at__isnull=True).count()
                if user.is_authenticated
                else 0
            )
        ),
    }
