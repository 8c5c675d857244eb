"""Offer images: downloaded by a task into storage, with thumbnails, never from the network."""

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from catalog.adapters.alibaba1688 import parse_offer
from catalog.adapters.images import fetch_image, get_fetcher
from catalog.exceptions import ImageRejected
from catalog.models import ProductImage
from catalog.services import offer_images_download, offer_import
from tests.catalog.factories import CategoryFactory

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).resolve().parents[2] / "catalog/fixtures/1688"
FETCHED: list[str] = []


def png(colour=(200, 40, 40), size=(640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def fake_fetch(url: str) -> bytes:
    """What the platform's image host would answer, made here."""
    FETCHED.append(url)
    return png((len(url) % 255, 90, 160))


@pytest.fixture(autouse=True)
def _fresh():
    FETCHED.clear()


def korean(**changes) -> dict:
    data = json.loads((FIXTURE / "query_product_detail_ko_skus_consign.json").read_text())
    data["result"]["result"].update(changes)
    return data


@pytest.fixture
def product():
    product, _ = offer_import(
        offer=parse_offer(korean(), language="ko"),
        default_category=CategoryFactory(),
        download_images=False,
    )
    return product


def test_images_and_sku_images_are_stored_with_thumbnails(product):
    added = offer_images_download(product_id=product.pk, fetch=fake_fetch)

    assert added == 4  # two offer images, two colours' SKU images
    images = list(product.images.order_by("position"))
    assert [i.source_url for i in images[:2]] == product.image_urls
    assert all(i.thumbnail and i.image.name.endswith(".png") for i in images)
    with Image.open(images[0].thumbnail) as thumb:
        assert max(thumb.size) <= 320
    tulip = product.skus.get(source_sku_id="5012345670100")
    assert tulip.image.source_url == tulip.image_url
    product.refresh_from_db()
    assert product.cover_thumbnail == images[0].thumbnail.name


def test_downloading_again_fetches_nothing_new(product):
    offer_images_download(product_id=product.pk, fetch=fake_fetch)
    FETCHED.clear()

    assert offer_images_download(product_id=product.pk, fetch=fake_fetch) == 0
    assert FETCHED == []
    assert product.images.count() == 4


def test_a_bad_image_is_skipped_and_the_rest_stored(product):
    bad = product.image_urls[0]

    def fetch(url):
        if url == bad:
            raise OSError("connection reset")
        return b"not an image" if "mainB" in url else png()

    assert offer_images_download(product_id=product.pk, fetch=fetch) == 2
    assert not product.images.filter(source_url=bad).exists()


def test_images_gone_from_the_offer_are_removed_and_uploads_kept(product):
    offer_images_download(product_id=product.pk, fetch=fake_fetch)
    kept = product.image_urls[1]
    product.image_urls = [kept]
    product.save(update_fields=["image_urls"])

    offer_images_download(product_id=product.pk, fetch=fake_fetch)

    urls = set(product.images.values_list("source_url", flat=True))
    assert product.image_urls[0] in urls
    assert len(urls) == 3  # the kept image and the two SKU images
    assert product.images.get(source_url=kept).position == 0


def test_import_fetches_images_after_commit_through_the_configured_fetcher(
    settings, django_capture_on_commit_callbacks
):
    settings.CATALOG_IMAGE_FETCHER = "tests.catalog.test_offer_images.fake_fetch"

    with django_capture_on_commit_callbacks(execute=True):
        product, _ = offer_import(
            offer=parse_offer(korean(), language="ko"), default_category=CategoryFactory()
        )

    assert len(FETCHED) == 4
    assert ProductImage.objects.filter(product=product).count() == 4


def test_the_real_fetcher_reads_only_trusted_image_hosts(settings):
    del settings.CATALOG_IMAGE_FETCHER
    assert get_fetcher() is fetch_image
    for url in (
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "https://evil.example/x.jpg",
        "https://alicdn.com.evil.example/x.jpg",
    ):
        with pytest.raises(ImageRejected):
            fetch_image(url)
