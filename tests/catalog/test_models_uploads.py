import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog.demo import placeholder_image
from catalog.exceptions import ImageRejected
from catalog.models import Supplier
from catalog.services import category_create, product_image_add
from tests.catalog.factories import ProductFactory, SupplierFactory

pytestmark = pytest.mark.django_db


def test_licence_upload_is_checked_for_type_and_size():
    supplier = SupplierFactory()
    field = Supplier._meta.get_field("licence_file")

    with pytest.raises(ValidationError, match="not accepted"):
        field.run_validators(SimpleUploadedFile("licence.exe", b"MZ..."))
    with pytest.raises(ValidationError, match="limit is 10 MB"):
        field.run_validators(SimpleUploadedFile("licence.pdf", b"0" * (10 * 1024 * 1024 + 1)))
    field.run_validators(SimpleUploadedFile("licence.PDF", b"%PDF-1.7"))

    supplier.licence_file.save("我的 执照.pdf", SimpleUploadedFile("x.pdf", b"%PDF-1.7"))
    name = supplier.licence_file.name
    assert name.startswith("catalog/licences/")
    assert name.endswith(".pdf")
    assert "执照" not in name


def test_product_image_is_stored_under_a_generated_name_with_a_list_thumbnail():
    product = ProductFactory()
    upload = SimpleUploadedFile("holiday photo.png", placeholder_image("Mug", size=900))

    image = product_image_add(product=product, upload=upload, alt_text="A mug")

    assert image.image.name.startswith("catalog/products/")
    assert "holiday" not in image.image.name
    with Image.open(image.thumbnail) as thumb:
        assert max(thumb.size) <= 320
    product.refresh_from_db()
    assert product.cover_thumbnail == image.thumbnail.name


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("notes.txt", b"hello", "not accepted"),
        ("fake.jpg", b"this is not a jpeg", "not an image"),
    ],
)
def test_bad_product_images_are_refused(name, data, says):
    product = ProductFactory()

    with pytest.raises(ImageRejected, match=says):
        product_image_add(product=product, upload=SimpleUploadedFile(name, data))

    assert not product.images.exists()


def test_first_image_is_the_cover():
    product = ProductFactory()
    buffer = io.BytesIO()
    Image.new("RGB", (50, 50), "red").save(buffer, format="JPEG")
    first = product_image_add(
        product=product, upload=SimpleUploadedFile("a.jpg", buffer.getvalue())
    )
    product_image_add(product=product, upload=SimpleUploadedFile("b.png", placeholder_image("b")))

    product.refresh_from_db()
    assert product.cover_thumbnail == first.thumbnail.name


def test_categories_have_at_most_three_levels():
    root = category_create(name_en="Home", slug="home")
    mid = category_create(name_en="Kitchen", slug="kitchen", parent=root)
    leaf = category_create(name_en="Mugs", slug="mugs", parent=mid)

    assert (root.depth, mid.depth, leaf.depth) == (0, 1, 2)
    with pytest.raises(ValidationError):
        category_create(name_en="Too deep", slug="too-deep", parent=leaf)
