"""The site's URLs plus the baseline of the catalog benchmark: a bare Django view that renders
24 rows from one query, with no session, no middleware work beyond the defaults, no FX."""

from django.http import HttpResponse
from django.template import engines
from django.urls import path

from catalog.models import Product
from procurement.urls import urlpatterns as site_urlpatterns

_TEMPLATE = engines["django"].from_string(
    "<!doctype html><title>bare</title><ul>{% for id, title, price in rows %}"
    "<li><a href='/catalog/p/{{ id }}/'>{{ title }}</a> ¥{{ price }}</li>{% endfor %}</ul>"
)


def bare(request):
    rows = list(Product.objects.order_by("-id").values_list("id", "title_en", "min_price_cny")[:24])
    return HttpResponse(_TEMPLATE.render({"rows": rows}))


urlpatterns = [path("bench/bare/", bare), *site_urlpatterns]
