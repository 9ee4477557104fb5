"""PLACEHOLDER (issue 15, part 3): replaced by the fast-refund work before anything lands."""


def refund_on_pickup(request, parcel, *, now):
    raise NotImplementedError


def settle_on_sign_for(request, parcel, *, now):
    raise NotImplementedError
