import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from logistics import services
from logistics.addressing import normalize_phone, normalize_postcode
from logistics.models import Address
from tests.logistics.factories import AddressFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("country", "raw", "expected"),
    [
        ("US", "94105", "94105"),
        ("US", "94105-1234", "94105-1234"),
        ("GB", "sw1a 1aa", "SW1A 1AA"),
        ("GB", "EC1A1BB", "EC1A1BB"),
        ("DE", "10115", "10115"),
        ("FR", "75001", "75001"),
        ("JP", "100-0001", "100-0001"),
        ("AU", "2000", "2000"),
        ("CA", "k1a 0b1", "K1A 0B1"),
        ("CN", "518000", "518000"),
        ("NL", "1012 ab", "1012 AB"),
        ("ES", "28001", "28001"),
        ("IT", "00184", "00184"),
        ("SG", "018956", "018956"),
        ("HK", "", ""),
        ("BR", "01310-100", "01310-100"),
        ("ZA", "8001", "8001"),  # not in the table: any short postcode
    ],
)
def test_valid_postcodes(country, raw, expected):
    assert normalize_postcode(raw, country) == expected


@pytest.mark.parametrize(
    ("country", "raw", "message"),
    [
        ("US", "9410", "for example 94105"),
        ("GB", "12345", "for example SW1A 1AA"),
        ("DE", "1011", "for example 10115"),
        ("JP", "1000001x", "for example 100-0001"),
        ("CA", "D1A 0B1", "for example K1A 0B1"),  # D is never a first letter in Canada
        ("CN", "51800", "for example 518000"),
        ("NL", "0123 AB", "for example 1012 AB"),
        ("ES", "53001", "for example 28001"),
        ("SG", "12345", "for example 018956"),
        ("US", "", "Enter the postcode."),
        ("HK", "999077", "no postcode"),
    ],
)
def test_invalid_postcodes_say_what_is_expected(country, raw, message):
    with pytest.raises(ValidationError) as error:
        normalize_postcode(raw, country)
    assert message in " ".join(error.value.messages)


@pytest.mark.parametrize(
    ("country", "raw", "expected"),
    [
        ("US", "(415) 555-0123", "+14155550123"),
        ("GB", "020 7946 0958", "+442079460958"),
        ("DE", "+49 30 901820", "+4930901820"),
        ("CN", "138 0013 8000", "+8613800138000"),
        ("HK", "2123 4567", "+85221234567"),
        ("JP", "03-1234-5678", "+81312345678"),
    ],
)
def test_valid_phones_are_stored_in_e164(country, raw, expected):
    assert normalize_phone(raw, country) == expected


@pytest.mark.parametrize(
    ("country", "raw", "message"),
    [
        ("US", "12345", "not a valid phone number"),
        ("US", "+44 20 7946 0958", "must be a number in the address's country"),
        ("DE", "hello", "Enter a valid phone number"),
        ("FR", "", "Enter a phone number."),
    ],
)
def test_invalid_phones(country, raw, message):
    with pytest.raises(ValidationError) as error:
        normalize_phone(raw, country)
    assert message in " ".join(error.value.messages)


def test_address_create_normalizes_and_refuses_forwarder_outside_china(company):
    address = services.address_create(
        company=company,
        kind=Address.Kind.END_CUSTOMER,
        name="Ann",
        phone="020 7946 0958",
        line1="10 Downing St",
        city="London",
        postcode="sw1a 2aa",
        country="GB",
    )
    assert address.phone == "+442079460958"
    assert address.postcode == "SW1A 2AA"
    with pytest.raises(ValidationError) as error:
        services.address_create(
            company=company,
            kind=Address.Kind.FORWARDER,
            name="Forwarder",
            phone="+14155550123",
            line1="1 Market St",
            city="SF",
            postcode="94105",
            country="US",
        )
    assert "country" in error.value.message_dict


def test_address_form_shows_per_country_messages(owner_client):
    response = owner_client.post(
        reverse("logistics:address-create"),
        {
            "kind": "end_customer",
            "name": "Hans",
            "phone": "+1 415 555 0123",
            "line1": "Unter den Linden 1",
            "city": "Berlin",
            "postcode": "1011",
            "country": "DE",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "for example 10115" in form.errors["postcode"][0]
    assert "address's country" in form.errors["phone"][0]
    assert not Address.objects.exists()


def test_address_book_crud_through_pages(owner_client, company):
    response = owner_client.post(
        reverse("logistics:address-create"),
        {
            "kind": "forwarder",
            "name": "Li Wei",
            "company_name": "Fast Forwarding Co",
            "phone": "13800138000",
            "line1": "8 Keyuan Road",
            "city": "Shenzhen",
            "region": "Guangdong",
            "postcode": "518057",
            "country": "CN",
        },
    )
    assert response.status_code == 302
    address = Address.objects.get(company=company)
    assert address.phone == "+8613800138000"
    page = owner_client.get(reverse("logistics:address-list"))
    assert "Li Wei" in page.text
    owner_client.post(reverse("logistics:address-archive", args=[address.pk]))
    address.refresh_from_db()
    assert address.is_archived
    assert "Li Wei" not in owner_client.get(reverse("logistics:address-list")).text


def test_another_companys_address_is_404(owner_client, other_company):
    theirs = AddressFactory(company=other_company)
    assert owner_client.get(reverse("logistics:address-edit", args=[theirs.pk])).status_code == 404
    response = owner_client.post(reverse("logistics:address-archive", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert not theirs.is_archived
    assert theirs.name not in owner_client.get(reverse("logistics:address-list")).text
