from django.http import HttpResponse
from django.template import engines
from django.urls import path

from bare.models import Product

_TEMPLATE = engines["django"].from_string(
    "<!doctype html><title>bare</title><ul>{% for id, title, price in rows %}"
    "<li><a href='/catalog/p/{{ id }}/'>{{ title }}</a> ¥{{ price }}</li>{% endfor %}</ul>"
)


def bare(request):
    rows = Product.objects.order_by("-id").values_list("id", "title_en", "min_price_cny")[:24]
    return HttpResponse(_TEMPLATE.render({"rows": list(rows)}))


urlpatterns = [path("bare/", bare)]
