import pytest

from catalog.exceptions import UnsupportedLink
from catalog.links import parse_product_link


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
    ],
)  # fmt: skip
def test_accepts_product_links(url, source, site, external_id):
    parsed = parse_product_link(url)

    assert (parsed.source, parsed.site, parsed.external_id) == (source, site, external_id)


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
        ("https://m.tb.cn/h.5Xyz", "Short share links"),
    ],
)
def test_refuses_other_links_with_a_clear_message(url, says):
    with pytest.raises(UnsupportedLink) as error:
        parse_product_link(url)

    assert says in str(error.value)
