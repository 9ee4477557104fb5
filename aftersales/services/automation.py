"""PLACEHOLDER (issue 15, part 1): replaced by the automation-rules work before anything lands."""


def apply_on_submission(request, *, now):
    raise NotImplementedError


def apply_on_sign_for(request, parcel, *, now):
    raise NotImplementedError
