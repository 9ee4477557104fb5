"""Media on an S3-compatible object store (several machines share it), against a real S3 API:
moto in server mode on a free 127.0.0.1 port, a fresh bucket per test, and the storage the
settings build from ``MEDIA_S3_BUCKET``.

Files go in through the real flows (the apply form with a photo, the kept uploads of a form
that came back, the rating form) and come out only through the views that check who may see
them; the bucket itself refuses anyone without a signature.
"""

import io
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit
from uuid import uuid4

import boto3
import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone
from moto.server import ThreadedMotoServer
from PIL import Image

from aftersales.models import Evidence, Kind, PendingUpload, Reason, State
from aftersales.sweep import discard_stale_uploads
from config.settings.base import s3_media_storage
from reviews.models import ReviewPhoto
from tests.aftersales.factories import jpeg_upload, request_in
from tests.orders.factories import ShopMemberFactory

pytestmark = [pytest.mark.s3, pytest.mark.django_db]

REGION = "cn-north-1"


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


class Bucket:
    """The object store as its owner sees it (straight to it, not through the app), and as
    someone who only has an object's address does."""

    def __init__(self, endpoint: str, name: str):
        self.endpoint, self.name = endpoint, name
        self.client = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)

    def keys(self) -> set[str]:
        listing = self.client.list_objects_v2(Bucket=self.name)
        return {entry["Key"] for entry in listing.get("Contents", [])}

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def unsigned_get(self, key: str) -> int:
        try:
            with urllib.request.urlopen(f"{self.endpoint}/{self.name}/{key}", timeout=10):
                return 200
        except urllib.error.HTTPError as error:
            return error.code


@pytest.fixture
def bucket(s3_endpoint, settings, monkeypatch, tmp_path) -> Bucket:
    """A new private bucket, and the settings' S3 storage pointed at it."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
    bucket = Bucket(s3_endpoint, f"media-{uuid4().hex[:12]}")
    bucket.client.create_bucket(
        Bucket=bucket.name, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_media_storage(bucket=bucket.name, endpoint_url=s3_endpoint, region=REGION),
    }
    settings.MEDIA_ROOT = tmp_path / "media"  # to see that nothing lands on the local disk
    return bucket


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def application(**overrides) -> dict:
    """The return form for the default two-unit, ¥200 item."""
    return {
        "kind": Kind.RETURN_REFUND,
        "reason": Reason.QUALITY_PROBLEM,
        "quantity": "2",
        "refund_amount": "150.00",
        "description": "The tin arrived dented; the seal is broken on both.",
        **overrides,
    }


def apply_url(item) -> str:
    return f"/items/{item.pk}/apply/?kind={Kind.RETURN_REFUND}"


@pytest.fixture
def filed(bucket, item, buyer) -> Evidence:
    """The buyer files a return with one photo through the apply form."""
    response = client_for(buyer).post(apply_url(item), application(files=[jpeg_upload("dent.jpg")]))
    assert response.status_code == 302
    return Evidence.objects.get(request__order_item=item)


def test_evidence_filed_through_the_form_is_stored_in_the_bucket(bucket, filed, settings):
    assert filed.file.name.startswith(f"evidence/{filed.request_id}/")
    assert bucket.keys() == {filed.file.name, filed.thumbnail.name}
    assert Image.open(io.BytesIO(bucket.read(filed.file.name))).format == "JPEG"
    assert not settings.MEDIA_ROOT.exists() or not any(settings.MEDIA_ROOT.iterdir())


def test_the_buyer_and_the_seller_get_the_files_with_the_security_headers(
    bucket, filed, buyer, seller
):
    photo = client_for(buyer).get(f"/evidence/{filed.pk}/")
    thumbnail = client_for(seller).get(f"/evidence/{filed.pk}/thumb/")

    assert photo.status_code == thumbnail.status_code == 200
    assert body(photo) == bucket.read(filed.file.name)
    assert body(thumbnail) == bucket.read(filed.thumbnail.name)
    for response in (photo, thumbnail):
        assert response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert response["Cache-Control"] == "private, max-age=3600"
        assert "Location" not in response  # served by the app, never a bucket address


def test_strangers_get_404_and_anonymous_visitors_the_login_page(
    filed, other_buyer, other_seller, client
):
    for stranger in (other_buyer, other_seller):
        assert client_for(stranger).get(f"/evidence/{filed.pk}/").status_code == 404
        assert client_for(stranger).get(f"/evidence/{filed.pk}/thumb/").status_code == 404
    response = client.get(f"/evidence/{filed.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/evidence/{filed.pk}/"


def test_the_bucket_refuses_a_request_without_a_signature(bucket, filed):
    for key in (filed.file.name, filed.thumbnail.name):
        assert bucket.unsigned_get(key) == 403
    # while the address the storage would sign does work, for a minute
    signed = default_storage.url(filed.file.name)
    assert parse_qs(urlsplit(signed).query)["X-Amz-Expires"] == ["60"]
    with urllib.request.urlopen(signed, timeout=10) as response:
        assert response.read() == bucket.read(filed.file.name)


def test_kept_uploads_live_in_the_bucket_until_they_become_evidence(
    bucket, item, buyer, django_capture_on_commit_callbacks
):
    # given a form that came back with an error, keeping the good photo
    as_buyer = client_for(buyer)
    as_buyer.post(apply_url(item), application(refund_amount="abc", files=[jpeg_upload()]))
    kept = PendingUpload.objects.get(owner=buyer)
    assert bucket.keys() == {kept.file.name, kept.thumbnail.name}
    assert as_buyer.get(f"/uploads/{kept.pk}/").status_code == 200

    # when the corrected form is sent with it
    with django_capture_on_commit_callbacks(execute=True):
        response = as_buyer.post(apply_url(item), {**application(), "kept": [kept.pk]})

    # then it is evidence, and the kept copy is gone from the bucket
    assert response.status_code == 302
    evidence = Evidence.objects.get(request__order_item=item)
    assert bucket.keys() == {evidence.file.name, evidence.thumbnail.name}
    assert client_for(buyer).get(f"/evidence/{evidence.pk}/").status_code == 200


def test_the_daily_clean_up_deletes_forgotten_uploads_from_the_bucket(bucket, item, buyer):
    client_for(buyer).post(apply_url(item), application(refund_amount="abc", files=[jpeg_upload()]))
    assert len(bucket.keys()) == 2

    assert discard_stale_uploads(now=timezone.now() + timedelta(days=2)) == 1

    assert bucket.keys() == set()
    assert not PendingUpload.objects.exists()


def test_review_photos_are_stored_in_the_bucket_and_shown_to_signed_in_users(
    bucket, item, buyer, client
):
    refunded = request_in(State.REFUNDED, item)
    rating = {"speed": "5", "attitude": "4", "result": "5", "files": [jpeg_upload("tin.jpg")]}
    assert client_for(buyer).post(f"/requests/{refunded.pk}/review/", rating).status_code == 302
    photo = ReviewPhoto.objects.get(review__request=refunded)
    assert bucket.keys() == {photo.file.name, photo.thumbnail.name}

    anyone = client_for(ShopMemberFactory(user__username="another-shop").user)
    response = anyone.get(f"/reviews/photos/{photo.pk}/")
    assert response.status_code == 200
    assert body(response) == bucket.read(photo.file.name)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/reviews/photos/{photo.pk}/thumb/").status_code == 302
    assert bucket.unsigned_get(photo.file.name) == 403
