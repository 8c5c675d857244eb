"""Offers from the local fake 1688 (`ALIBABA_OPEN_FAKE`): fetched through the signed client,
answered in the platform's own shape, images drawn by the fake instead of fetched."""

import json
from pathlib import Path

import pytest

from catalog.adapters import open1688
from catalog.adapters.fake1688.gateway import PLATFORM
from catalog.models import Product
from catalog.services import offer_import_from_platform
from tests.catalog.factories import CategoryFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path("catalog/fixtures/1688")


@pytest.fixture
def fake(settings):
    settings.ALIBABA_OPEN_FAKE = True
    del settings.CATALOG_IMAGE_FETCHER  # the fake's own images, not the test's refusal
    return PLATFORM


def test_an_offer_the_fake_knows_is_imported_with_its_images_drawn(
    fake, django_capture_on_commit_callbacks
):
    response = json.loads((FIXTURES / "query_product_detail_en_no_skus_bottle.json").read_text())
    offer_id = fake.product(response)

    with django_capture_on_commit_callbacks(execute=True):
        product, created = offer_import_from_platform(
            offer_id=offer_id, category=CategoryFactory(), actor=None
        )

    assert created
    assert product.title_zh == response["result"]["result"]["subject"]
    assert product.images.count() == 1
    assert Product.objects.get(pk=product.pk).cover_thumbnail
    (_api, sent), *_ = [c for c in fake.calls if c[0] == "product.search.queryProductDetail"]
    assert json.loads(sent["offerDetailParam"]) == {"offerId": offer_id, "country": "en"}


def test_an_offer_the_fake_does_not_know_is_refused_in_the_documented_shape(fake):
    with pytest.raises(Exception, match="success is false") as refused:
        offer_import_from_platform(offer_id="699999999999", category=CategoryFactory(), actor=None)

    assert not isinstance(refused.value, open1688.NotConfigured)
    assert not Product.objects.exists()
