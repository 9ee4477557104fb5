from django.utils.functional import SimpleLazyObject

from orders.selectors import shops_for_member


def roles(request) -> dict:
    """For the header: the seller center link and the unread count. Each is queried only if a
    template uses it."""
    user = request.user
    return {
        "is_seller": SimpleLazyObject(lambda: shops_for_member(user).exists()),
        "unread_notifications": SimpleLazyObject(
            lambda: (
                user.notifications.filter(read_at__isnull=True).count()
                if user.is_authenticated
                else 0
            )
        ),
    }
