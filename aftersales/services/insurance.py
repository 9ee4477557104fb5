"""PLACEHOLDER (issue 15, part 4): replaced by the insurance work before anything lands."""


def claim_on_sign_for(request, parcel, *, now):
    raise NotImplementedError
