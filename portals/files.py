"""Evidence files, served only to those who may see the request they belong to (SPEC §6).

Files are read through Django's storage API (the local disk, or a private S3-compatible
bucket when ``MEDIA_S3_BUCKET`` is set) and streamed by these views after the permission
check, rather than answered with a redirect to a short-lived signed bucket URL. Streaming
keeps the headers below on every byte a user uploaded (an object store cannot add
``nosniff`` or a sandboxing CSP to its answers), keeps one origin (the bucket needs no public
address and no browser ever learns a URL that works without the session, even for a minute),
and keeps the URL stable, so the browser's private cache works; a signed URL changes on every
page view. What it costs, a web worker while the bytes pass, stays small: photos are
re-encoded JPEGs of at most 2048 px and thumbnails a few KB, and the proxy in front buffers the
answer, so a slow phone does not hold a gunicorn worker for a video.
"""

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from aftersales.models import Evidence, PendingUpload
from aftersales.selectors import visible_requests

from .api.access import api_user


def serve(field, content_type: str, *, download_name: str) -> FileResponse:
    if not field:
        raise Http404
    response = FileResponse(field.open("rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = f'inline; filename="{download_name}"'
    return response


def evidence_file(request: HttpRequest, pk: int, variant: str = "file") -> HttpResponse:
    """For a signed-in user, or an API client with its key (``Authorization: Bearer``): the
    API's evidence links are these URLs, checked the same way, as the key's own user."""
    user = api_user(request)
    if user is None:
        response = HttpResponse(status=401)
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    evidence = get_object_or_404(
        Evidence.objects.filter(request__in=visible_requests(user).values("pk")), pk=pk
    )
    if variant == "thumb":
        return serve(evidence.thumbnail, "image/jpeg", download_name=f"thumb-{evidence.pk}.jpg")
    name = evidence.file.name.rsplit("/", 1)[-1]
    return serve(evidence.file, evidence.content_type, download_name=name)


@login_required
def pending_file(request: HttpRequest, pk: int) -> FileResponse:
    """A kept upload's thumbnail, for its owner only, while the form is being corrected."""
    upload = get_object_or_404(PendingUpload, pk=pk, owner=request.user)
    return serve(upload.thumbnail, "image/jpeg", download_name=f"pending-{upload.pk}.jpg")
