"""A product card as listings and searches show it, written by `catalog.cards.card_html`."""

from decimal import Decimal

import pytest
from django.utils import translation

from catalog.cards import card_html
from tests.catalog.factories import ProductFactory, SupplierFactory

pytestmark = pytest.mark.django_db


def _card(product, *, price_local=None, show_prices=True, thumb_url="", language="en"):
    product.price_local = price_local
    with translation.override(language):
        return card_html(
            product,
            url=f"/catalog/p/{product.pk}/",
            title=product.title_for(language),
            thumb_url=thumb_url,
            currency="USD",
            show_prices=show_prices,
        )


def test_card_shows_price_in_both_currencies_moq_and_supplier():
    supplier = SupplierFactory(
        name_en="Ningbo Cups Co.", province="zhejiang", rating=Decimal("4.6")
    )
    product = ProductFactory(
        supplier=supplier, title_en="Steel mug", min_price_cny=Decimal("12.50"), moq=50
    )

    html = _card(product, price_local=Decimal("1.76"), thumb_url="/media/t/1.webp")

    assert html == (
        f'<li class="product-card"><a href="/catalog/p/{product.pk}/">'
        '<img src="/media/t/1.webp" alt="" width="160" height="160" loading="lazy">'
        "<b>Steel mug</b></a>"
        "<p><strong>from 1.76 USD</strong><span>¥12.50</span></p>"
        "<p>Min. order 50 pieces<br>Ningbo Cups Co. · Zhejiang · ★4.6</p></li>"
    )


def test_card_without_local_price_says_from_before_the_yuan_and_marks_made_to_order():
    supplier = SupplierFactory(rating=None)
    product = ProductFactory(supplier=supplier, min_price_cny=Decimal("8"), in_stock=False)

    html = _card(product, price_local=None)

    assert "<p><span>from ¥8.00</span></p>" in html
    assert "<strong>" not in html
    assert " · made to order<br>" in html
    assert "★" not in html
    assert '<i aria-hidden="true"></i>' in html  # no photo


def test_card_of_a_product_without_price_and_for_a_visitor():
    product = ProductFactory(min_price_cny=None, tiers=[])

    assert "<span>Price on request</span>" in _card(product)
    visitor = _card(product, show_prices=False, price_local=Decimal("3"))
    assert "<p><span>Sign in to see prices</span></p>" in visitor
    assert "USD" not in visitor
    assert "¥" not in visitor


def test_card_escapes_every_value():
    supplier = SupplierFactory(name_en='A&B <i>"Trading"</i>')
    product = ProductFactory(supplier=supplier, title_en="<script>alert(1)</script> mug")

    html = _card(product, thumb_url='/media/"x".webp')

    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; mug" in html
    assert "A&amp;B &lt;i&gt;&quot;Trading&quot;&lt;/i&gt;" in html
    assert 'src="/media/&quot;x&quot;.webp"' in html


def test_card_in_chinese_shows_chinese_names_and_sentences():
    supplier = SupplierFactory(name_zh="义乌市杯业有限公司", province="zhejiang")
    product = ProductFactory(
        supplier=supplier, title_zh="不锈钢杯", min_price_cny=Decimal("9.9"), moq=100
    )

    html = _card(product, price_local=Decimal("1.39"), language="zh-hans")

    assert "<b>不锈钢杯</b>" in html
    assert "义乌市杯业有限公司 · 浙江" in html
    with translation.override("zh-hans"):
        assert translation.gettext("Min. order %(moq)s") != "Min. order %(moq)s"
    assert "Min. order" not in html
    assert "from 1.39" not in html
