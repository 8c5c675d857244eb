"""The public catalog for search engines (django.contrib.sitemaps): the catalog's home, its
categories and every visible product, at the addresses settings name (SITE_URL), the same
ones each page gives as canonical."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from catalog import selectors
from catalog.models import Category


class _SiteSitemap(Sitemap):
    # 1M products make twenty pages of 50,000 (sitemap.xml is their index).
    limit = 50_000

    def get_domain(self, site=None) -> str:
        return urlsplit(settings.SITE_URL).netloc

    def get_protocol(self, protocol=None) -> str:
        return urlsplit(settings.SITE_URL).scheme or "https"


class CatalogSitemap(_SiteSitemap):
    changefreq = "daily"

    def items(self):
        return ["home", "catalog:index"]

    def location(self, item):
        return reverse(item)


class CategorySitemap(_SiteSitemap):
    changefreq = "daily"

    def items(self):
        return Category.objects.filter(product_count__gt=0).order_by("pk").only("pk", "slug")

    def location(self, item):
        return reverse("catalog:category", args=[item.slug])


class ProductSitemap(_SiteSitemap):
    changefreq = "weekly"

    def items(self):
        return selectors.products_visible().order_by("pk").only("pk", "updated_at")

    def location(self, item):
        return reverse("catalog:product", args=[item.pk])

    def lastmod(self, item):
        return item.updated_at


SITEMAPS = {"catalog": CatalogSitemap, "categories": CategorySitemap, "products": ProductSitemap}
