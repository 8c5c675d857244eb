# Fullwidth characters are what these tests feed the parser.
# ruff: noqa: RUF001
from decimal import Decimal

import pytest

from catalog.exceptions import UnsupportedLink
from catalog.links import link_preview, links_in, looks_like_link, parse_product_link


@pytest.mark.parametrize(
    ("url", "source", "site", "external_id"),
    [
        ("https://detail.1688.com/offer/623456789012.html", "1688", "1688", "623456789012"),
        ("detail.1688.com/offer/623456789012.html?spm=a26352.13672862", "1688", "1688",
         "623456789012"),
        ("http://m.1688.com/offer/623456789012.html", "1688", "1688", "623456789012"),
        ("https://m.1688.com/offer/623456789012.html?src=share", "1688", "1688", "623456789012"),
        ("https://detail.m.1688.com/page/index.html?offerId=623456789012", "1688", "1688",
         "623456789012"),
        ("https://item.taobao.com/item.htm?id=712345678901&spm=a1z10", "taobao", "taobao",
         "712345678901"),
        ("https://h5.m.taobao.com/awp/core/detail.htm?id=712345678901", "taobao", "taobao",
         "712345678901"),
        ("https://world.taobao.com/item/712345678901.htm", "taobao", "taobao", "712345678901"),
        ("https://detail.tmall.com/item.htm?id=612345678901&skuId=1", "taobao", "tmall",
         "612345678901"),
        ("https://detail.m.tmall.com/item.htm?id=612345678901", "taobao", "tmall",
         "612345678901"),
        ("  HTTPS://DETAIL.1688.COM/offer/623456789012.html  ", "1688", "1688", "623456789012"),
        # Taobao's mobile item page.
        ("http://a.m.taobao.com/i41336214543.htm", "taobao", "taobao", "41336214543"),
        ("a.m.taobao.com/i41336214543.htm?sid=x", "taobao", "taobao", "41336214543"),
    ],
)  # fmt: skip
def test_accepts_product_links(url, source, site, external_id):
    parsed = parse_product_link(url)

    assert (parsed.source, parsed.site, parsed.external_id) == (source, site, external_id)


@pytest.mark.parametrize(
    ("text", "site", "external_id"),
    [
        ("【1688】304不锈钢保温杯 500ml https://detail.1688.com/offer/623456789012.html", "1688",
         "623456789012"),
        ("复制这条信息，￥AbCd1234XyZ￥ 打开【手机淘宝】即可查看 "
         "https://item.taobao.com/item.htm?id=712345678901", "taobao", "712345678901"),
        ("Check this out: https://detail.tmall.com/item.htm?id=612345678901, thanks!", "tmall",
         "612345678901"),
        ("Look at detail.1688.com/offer/623456789012.html please", "1688", "623456789012"),
        # A short link first, the full link after it: the full one is read.
        ("【淘宝】https://m.tb.cn/h.5Xyz 原链接 https://item.taobao.com/item.htm?id=712345678901",
         "taobao", "712345678901"),
        # Fullwidth punctuation and digits are normalised (NFKC) before matching.
        ("ｈｔｔｐｓ：／／detail.1688.com／offer／６２３４５６７８９０１２.html", "1688",
         "623456789012"),
        ("【１６８８】杯子 https://detail.1688.com/offer/６２３４５６７８９０１２.html", "1688",
         "623456789012"),
    ],
)  # fmt: skip
def test_reads_the_first_product_link_in_share_text(text, site, external_id):
    parsed = parse_product_link(text)

    assert (parsed.site, parsed.external_id) == (site, external_id)
    assert parsed.external_id.isascii()
    assert parsed.canonical_url.isascii()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("", "Paste a product link"),
        ("https://www.amazon.com/dp/B000123", "1688, Taobao and Tmall only"),
        ("https://evil1688.com/offer/623456789012.html", "1688, Taobao and Tmall only"),
        ("https://detail.1688.com.evil.example/offer/623456789012.html", "Taobao and Tmall only"),
        ("https://shop1234.1688.com/page/contactinfo.htm", "not a product page"),
        ("https://item.taobao.com/item.htm", "no item id"),
        ("https://detail.tmall.com/item.htm?id=abc", "no item id"),
        ("ftp://detail.1688.com/offer/623456789012.html", "web link"),
        ("https://a.m.taobao.com/iabc.htm", "no item id"),
        # Digits of other scripts are not ids, and NFKC does not turn them into ASCII.
        ("https://detail.1688.com/offer/٦٢٣٤٥٦٧٨٩٠١٢.html", "not a product page"),
        ("https://item.taobao.com/item.htm?id=٧١٢٣٤٥٦٧٨٩٠١", "no item id"),
        ("复制这条信息，￥AbCd1234XyZ￥ 打开【手机淘宝】即可查看", "Taobao share code"),
        ("a nice red mug", "no product link"),
    ],
)  # fmt: skip
def test_refuses_other_links_with_a_clear_message(url, says):
    with pytest.raises(UnsupportedLink) as error:
        parse_product_link(url)

    assert says in str(error.value)


@pytest.mark.parametrize(
    "text",
    [
        "https://m.tb.cn/h.5Xyz",
        "https://e.tb.cn/h.gABC?tk=xyz",
        "https://qr.1688.com/s/AbCdEf",
        "【淘宝】限时特惠 https://m.tb.cn/h.5Xyz?tk=abc CZ0001 「保温杯」点击链接直接打开",
        "【1688】保温杯 https://qr.1688.com/s/AbCdEf",
    ],
)
def test_short_links_are_refused_and_the_full_link_asked_for(text):
    with pytest.raises(UnsupportedLink) as error:
        parse_product_link(text)

    message = str(error.value)
    assert "we cannot follow short links" in message
    assert "paste the full address of the product page" in message


def test_links_in_text_trims_trailing_punctuation():
    assert links_in("see https://detail.1688.com/offer/623456789012.html.") == [
        "https://detail.1688.com/offer/623456789012.html"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://detail.1688.com/offer/623456789012.html", True),
        ("【1688】杯子 https://detail.1688.com/offer/623456789012.html", True),
        ("m.tb.cn/h.5Xyz", True),
        ("￥AbCd1234XyZ￥", True),
        ("stainless steel mug", False),
        ("保温杯 500ml", False),
        ("1688", False),
    ],
)
def test_search_tells_links_from_words(text, expected):
    assert looks_like_link(text) is expected


@pytest.mark.django_db
def test_link_preview_once_the_offer_is_imported():
    from tests.catalog.factories import ProductFactory

    url = "https://detail.1688.com/offer/623456789012.html"
    assert link_preview(url) is None

    product = ProductFactory(source="1688", source_offer_id="623456789012", title_en="Mug",
                             base_price=Decimal("8.50"))  # fmt: skip

    preview = link_preview(f"【1688】 {url}")
    assert preview.product_id == product.pk
    assert preview.title == "Mug"
    assert preview.min_price_cny == product.min_price_cny
    assert preview.max_price_cny == max(t.unit_price_cny for t in product.tiers.all())
    assert link_preview("https://m.tb.cn/h.x") is None
