"""The settlement exports show people's words where the ledger keeps references: the order
number, the purchase order, the supplier's name, the parcel, the top-up. The same words the pages
read (procurement.core.references), in the CSV that PostgreSQL writes with COPY, in the CSV and
XLSX that Python writes, and the raw reference in the last column for reconciling."""

import csv
import importlib
import io
import zipfile
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from xml.sax.saxutils import escape

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.utils import timezone, translation

from logistics.models import InboundParcel, Parcel
from payments import exports, payouts, reports, services
from payments.models import LedgerTransaction, SupplierPayable
from procurement.core import references
from tests.catalog.factories import SupplierFactory
from tests.logistics.factories import (
    AddressFactory,
    ChannelFactory,
    StockItemFactory,
    WarehouseFactory,
)
from tests.orders.factories import paid_order, product_with_skus
from tests.payments.factories import fund_wallet, seed_rates

pytestmark = pytest.mark.django_db

GONE = ["order:999999", "po:999999", "parcel:999999", "supplier:999999"]
UNREADABLE = "adjustment:wallet-fix-1"


def _period():
    today = timezone.localdate()
    return today - timedelta(days=1), today + timedelta(days=1)


def _checkout(company, reference, cny="70.00"):
    quote = services.fx_quote_create(company=company, amount=Decimal(cny), with_fee=True)
    return services.checkout_charge(
        quote=quote, reference=reference, idempotency_key=f"{reference}:labels"
    )


def _payable(company, *, reference, order_reference, supplier_reference, n):
    return payouts.supplier_payable_record(
        reference=reference,
        order_reference=order_reference,
        company=company,
        supplier_reference=supplier_reference,
        payee_name="Yiwu Factory",
        payee_account="6222000011112222",
        payee_bank="ICBC Yiwu",
        amount_cny=Decimal("100.00"),
        freight_cny=Decimal("5.00"),
        placed_at=timezone.now(),
        idempotency_key=f"labels:{n}",
    )


@pytest.fixture
def labelled(owner, company, finance):
    """A paid order with its purchase order, a supplier, a parcel, a stock item, a top-up and a
    payout batch, each named by a settlement line; and lines whose objects are gone."""
    seed_rates()
    supplier = SupplierFactory(name_en='Yiwu Cups, the "Best" Co.', name_zh="义乌杯业")
    product, skus = product_with_skus(supplier=supplier)
    order = paid_order(owner, company, (product, {skus[0]: 20}), balance="5000.00")
    po = order.purchase_orders.get()
    chinese_only = SupplierFactory(name_en="", name_zh="=义乌星光饰品")
    parcel = Parcel.objects.create(
        company=company,
        warehouse=WarehouseFactory(),
        destination=AddressFactory(company=company),
        channel=ChannelFactory(),
        created_by=owner,
        currency=company.wallet_currency,
    )
    stock = StockItemFactory(company=company, description="Ceramic mug set")
    top_up = fund_wallet(company, "10.00")
    _payable(
        company,
        reference=po.reference,
        order_reference=order.reference,
        supplier_reference=f"supplier:{supplier.pk}",
        n=1,
    )
    _payable(
        company,
        reference="po:999999",
        order_reference="order:999999",
        supplier_reference=f"supplier:{chinese_only.pk}",
        n=2,
    )
    _payable(company, reference="", order_reference="", supplier_reference="supplier:999999", n=3)
    batch = payouts.payout_batch_create(
        actor=finance, supplier_reference=f"supplier:{chinese_only.pk}"
    )
    named = [
        po.reference,
        f"parcel:{parcel.pk}",
        f"stock:{stock.pk}",
        top_up.reference,
        f"payout:{batch.pk}",
        f"supplier:{supplier.pk}",
    ]
    for reference in [*named, *GONE, UNREADABLE]:
        _checkout(company, reference)
    return {
        "order": order,
        "po": po,
        "supplier": supplier,
        "parcel": parcel,
        "top_up": top_up,
        "refs": [order.reference, *named],
    }


def _csv_rows() -> list[list[str]]:
    start, end = _period()
    chunks = exports.settlement_csv(date_from=start, date_to=end)
    text = b"".join(c.encode() if isinstance(c, str) else c for c in chunks).decode()
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def _copied_and_python() -> tuple[bytes, bytes]:
    """The data lines as COPY writes them (PostgreSQL) and as the Python path writes them."""
    start, end = _period()
    copied = b"".join(
        c.encode() if isinstance(c, str) else c
        for c in exports.settlement_csv(date_from=start, date_to=end)
    )
    python = "".join(exports._settlement_csv_blocks(date_from=start, date_to=end)).encode()
    return copied.split(b"\n", 1)[1], python


def test_the_csv_shows_labels_and_keeps_the_reference_last(labelled):
    header, *rows = _csv_rows()
    assert header[2:6] == ["Reference", "Order", "Merchant", "Supplier"]
    assert header[-1] == "System reference"
    by_reference = {row[-1]: row for row in rows if row[1] != "Supplier payable"}
    names = references.resolve_many(labelled["refs"], references.Viewer(staff=True))
    for reference in labelled["refs"]:
        # Every kind reads as the pages read it.
        assert by_reference[reference][2] == names[reference].label, reference
        assert ":" not in names[reference].label.replace("Top-up no.", ""), reference
    order, po = labelled["order"], labelled["po"]
    assert by_reference[order.reference][2:4] == [order.number, order.number]
    assert by_reference[po.reference][2] == f"PO-{po.pk} of order {order.number}"
    assert by_reference[po.reference][3] == ""
    parcel = by_reference[f"parcel:{labelled['parcel'].pk}"]
    assert parcel[2] == f"Parcel P{labelled['parcel'].pk:06d}"
    assert by_reference[labelled["top_up"].reference][2] == (f"Top-up no. {labelled['top_up'].pk}")
    supplier = labelled["supplier"]
    assert by_reference[f"supplier:{supplier.pk}"][2] == 'Yiwu Cups, the "Best" Co.'


def test_payables_name_their_purchase_order_order_and_supplier(labelled):
    _header, *rows = _csv_rows()
    payables = [row for row in rows if row[1] == "Supplier payable"]
    order, po = labelled["order"], labelled["po"]
    assert [row[2:6] + row[-1:] for row in payables] == [
        [
            f"PO-{po.pk} of order {order.number}",
            order.number,
            order.company.legal_name,
            'Yiwu Cups, the "Best" Co.',
            po.reference,
        ],
        # Gone: the reference itself. A name typed as a formula is kept from running.
        ["po:999999", "order:999999", order.company.legal_name, "'=义乌星光饰品", "po:999999"],
        ["", "", order.company.legal_name, "supplier:999999", ""],
    ]


def test_references_whose_objects_are_gone_read_as_themselves(labelled):
    _header, *rows = _csv_rows()
    by_reference = {row[-1]: row for row in rows if row[1] != "Supplier payable"}
    for reference in [*GONE, UNREADABLE]:
        assert by_reference[reference][2] == reference
    assert by_reference["order:999999"][3] == "order:999999"


def test_the_xlsx_holds_the_same_labelled_rows(labelled, tmp_path):
    start, end = _period()
    rows = list(reports.settlement_rows(date_from=start, date_to=end))
    _header, *written = _csv_rows()
    assert [[_cell(v) for v in row] for row in rows] == [
        [v.removeprefix("'") for v in row] for row in written
    ]
    path = tmp_path / "settlement.xlsx"
    assert exports.write_settlement_xlsx(str(path), date_from=start, date_to=end) == len(rows)
    with zipfile.ZipFile(path) as archive:
        xml = "".join(archive.read(n).decode() for n in archive.namelist() if n.endswith(".xml"))
    order, po = labelled["order"], labelled["po"]
    for label in (
        order.number,
        f"PO-{po.pk} of order {order.number}",
        'Yiwu Cups, the "Best" Co.',
        "=义乌星光饰品",
        f"Parcel P{labelled['parcel'].pk:06d}",
        "System reference",
    ):
        assert escape(label) in xml or escape(label, {'"': "&quot;"}) in xml, label


def _cell(value) -> str:
    return "" if value is None else str(value)


def test_labels_take_one_query_per_kind(labelled, django_assert_num_queries):
    refs = labelled["refs"]  # order, po, parcel, stock, topup, payout, supplier
    with django_assert_num_queries(7):
        found = references.labels_many([*refs, *GONE, UNREADABLE])
    assert set(found) == set(refs)


@pytest.mark.postgres
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_labels_from_copy_are_the_python_labels_byte_for_byte(labelled, language):
    """COPY and the Python path read the labels stored with the rows: same bytes, in each
    language. Rows keep their labels in every language of the site, so whoever wrote them, a
    reader sees the purchase order's sentence in their own language, as the pages say it (the
    Chinese sentence puts the order before the purchase order)."""
    po = f"po:{labelled['po'].pk}"
    with translation.override(language):
        written, python = _copied_and_python()
        page_label = references.labels_many([po])[po]
    assert written == python
    assert labelled["order"].number.encode() in written
    assert page_label.encode() in written
    assert "义乌杯业".encode() not in written  # the English name wins where there is one


def test_labels_are_stored_in_every_language_of_the_site(labelled):
    po = f"po:{labelled['po'].pk}"
    payable = SupplierPayable.objects.get(reference=po)
    assert set(payable.reference_labels) == {"en", "zh-hans"}
    assert payable.reference_labels["en"].startswith(f"PO-{labelled['po'].pk} of order ")
    assert payable.reference_labels["zh-hans"] != payable.reference_labels["en"]
    with translation.override("zh-hans"):
        assert payable.reference_labels["zh-hans"] == references.labels_many([po])[po]


@pytest.fixture
def unusual(labelled, company):
    """An inbound parcel (the one kind `labelled` leaves out), an object with an empty label,
    and references that no label answers although they look close to ones that would: a number
    with a leading zero, a second colon, no number, no kind, other digits."""
    order, po = labelled["order"], labelled["po"]
    inbound = InboundParcel.objects.create(
        company=company,
        warehouse=WarehouseFactory(),
        carrier="SF",
        tracking_number="SF1234567",
        contents="Samples",
        declared_value=Decimal("10.00"),
        declared_currency="CNY",
    )
    blank = StockItemFactory(company=company, description="")
    odd = [
        f"order:0{order.pk}",
        f"po:00{po.pk}",
        f"order:{order.pk}:1",
        f"order:{order.pk} ",
        f"Order:{order.pk}",
        f":{order.pk}",
        "po:",
        "po:abc",
        "order:١٢",
        "order:123456789012345678",
    ]
    for reference in odd:
        _checkout(company, reference)
    _checkout(company, f"inbound:{inbound.pk}")
    _checkout(company, f"stock:{blank.pk}")
    _payable(
        company,
        reference=f"po:0{po.pk}",
        order_reference=f"order:{order.pk}:x",
        supplier_reference="supplier:",
        n=4,
    )
    return {
        "odd": odd,
        "inbound": inbound,
        "blank": f"stock:{blank.pk}",
        "order": order,
        "po": po,
    }


def test_references_no_label_answers_read_as_written(unusual):
    _header, *rows = _csv_rows()
    by_reference = {row[-1]: row for row in rows if row[1] != "Supplier payable"}
    for reference in [*unusual["odd"], unusual["blank"]]:
        assert by_reference[reference][2] == reference, reference
    assert by_reference[f"inbound:{unusual['inbound'].pk}"][2] == "Inbound parcel SF SF1234567"
    po, order = unusual["po"], unusual["order"]
    payable = next(row for row in rows if row[-1] == f"po:0{po.pk}")
    assert payable[2:6] == [
        f"po:0{po.pk}",
        f"order:{order.pk}:x",
        order.company.legal_name,
        "supplier:",
    ]


@pytest.mark.postgres
def test_unusual_references_from_copy_are_the_python_labels_byte_for_byte(unusual):
    written, python = _copied_and_python()
    assert written == python
    assert b"Inbound parcel SF SF1234567" in written


def test_a_renamed_supplier_and_a_renumbered_order_keep_the_labels_written_at_the_time(labelled):
    """A settlement is a record of what happened: each line reads as its references read when
    the transaction or payable was written, whatever the objects are called since."""
    before = _csv_rows()
    supplier, order = labelled["supplier"], labelled["order"]
    supplier.name_en = "Renamed Cups Ltd"
    supplier.save(update_fields=["name_en"])
    old_number = order.number
    order.number = "ORD-RENAMED"
    order.save(update_fields=["number"])
    after = _csv_rows()
    assert after == before
    payable = next(row for row in after if row[-1] == labelled["po"].reference and row[5])
    assert payable[3:6:2] == [old_number, 'Yiwu Cups, the "Best" Co.']
    # What the pages show follows the object; the settlement keeps the record.
    names = references.resolve_many([order.reference], references.Viewer(staff=True))
    assert names[order.reference].label == "ORD-RENAMED"


@pytest.mark.postgres
def test_labels_kept_as_written_are_the_same_from_copy_and_python(labelled):
    supplier = labelled["supplier"]
    supplier.name_en = "Renamed Cups Ltd"
    supplier.save(update_fields=["name_en"])
    copied, python = _copied_and_python()
    assert copied == python
    assert b'Yiwu Cups, the ""Best"" Co.' in copied
    assert b"Renamed Cups Ltd" not in copied


def _check_deferred_constraints():
    """Run the checks the fixtures left pending, then defer again: the state a migration starts
    in (its own writes queue checks of their own)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


migration_0011 = importlib.import_module("payments.migrations.0011_labels_kept_as_written")


def _backfill():
    """The migration that added the label columns fills rows written before them (on
    PostgreSQL, in a transaction with no deferred checks pending, as a migration starts)."""
    _check_deferred_constraints()
    migration_0011.backfill(django_apps, SimpleNamespace(connection=connection))


def test_rows_written_before_labels_were_stored_get_them_from_the_backfill(unusual):
    """The backfill labels exactly what the writers label ("kind:pk" written back equals the
    reference): odd references, gone objects and empty labels stay empty."""
    written = _csv_rows()
    stored = {
        "transactions": list(
            LedgerTransaction.objects.order_by("pk").values_list("pk", "reference_labels")
        ),
        "payables": list(
            SupplierPayable.objects.order_by("pk").values_list(
                "pk", "reference_labels", "order_labels", "supplier_labels"
            )
        ),
    }
    assert any(label for _pk, label in stored["transactions"])
    _check_deferred_constraints()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # append-only there (payments 0003)
            cursor.execute(migration_0011._APPEND_ONLY.format("DISABLE"))
        LedgerTransaction.objects.update(reference_labels={})
        if connection.vendor == "postgresql":
            _check_deferred_constraints()
            cursor.execute(migration_0011._APPEND_ONLY.format("ENABLE"))
    SupplierPayable.objects.update(reference_labels={}, order_labels={}, supplier_labels={})
    _backfill()
    assert (
        list(LedgerTransaction.objects.order_by("pk").values_list("pk", "reference_labels"))
        == stored["transactions"]
    )
    assert (
        list(
            SupplierPayable.objects.order_by("pk").values_list(
                "pk", "reference_labels", "order_labels", "supplier_labels"
            )
        )
        == stored["payables"]
    )
    assert _csv_rows() == written


def test_the_backfill_leaves_labels_already_stored(labelled):
    supplier = labelled["supplier"]
    supplier.name_en = "Renamed Cups Ltd"
    supplier.save(update_fields=["name_en"])
    _backfill()
    assert not SupplierPayable.objects.filter(supplier_labels__en="Renamed Cups Ltd").exists()
