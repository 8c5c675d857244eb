import factory
from django.utils import timezone

from catalog.models import Category, PriceTier, Product, Sku, Supplier
from payments.models import FxRate


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier

    name_zh = factory.Sequence(lambda n: f"义乌市测试{n}号有限公司")
    name_en = factory.Sequence(lambda n: f"Yiwu Test {n} Co., Ltd.")
    member_id = factory.Sequence(lambda n: f"b2b-test-{n}")
    province = "zhejiang"
    city = "Yiwu"
    status = Supplier.Status.APPROVED


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name_en = factory.Sequence(lambda n: f"Category {n}")
    name_zh = factory.Sequence(lambda n: f"类目{n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    parent = None
    depth = factory.LazyAttribute(lambda o: 0 if o.parent is None else o.parent.depth + 1)


class ProductFactory(factory.django.DjangoModelFactory):
    """A product with three tiers (from MOQ, x5, x20) and its summary columns filled."""

    class Meta:
        model = Product
        skip_postgeneration_save = True

    supplier = factory.SubFactory(SupplierFactory)
    category = factory.SubFactory(CategoryFactory)
    title_en = factory.Sequence(lambda n: f"Sample product {n}")
    title_zh = factory.Sequence(lambda n: f"样品{n}")
    moq = 10
    order_multiple = 1
    min_price_cny = factory.LazyAttribute(lambda o: o.base_price)
    in_stock = True

    class Params:
        base_price = factory.Faker("pydecimal", left_digits=2, right_digits=2, min_value=1)

    @factory.post_generation
    def tiers(self, create, extracted, **kwargs):
        if not create:
            return
        spec = extracted
        if spec is None:
            spec = [(self.moq, self.min_price_cny), (self.moq * 5, self.min_price_cny * 9 / 10)]
        for min_quantity, price in spec:
            PriceTier.objects.create(
                product=self, min_quantity=min_quantity, unit_price_cny=round(price, 2)
            )


class SkuFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sku

    product = factory.SubFactory(ProductFactory)
    code = factory.Sequence(lambda n: f"SKU-{n:06d}")
    attributes = factory.Sequence(lambda n: {"Colour": ["Red", "Blue", "Green"][n % 3]})
    stock = 100


def fx_rate(quote: str = "USD", rate: str = "0.1400", base: str = "CNY") -> FxRate:
    return FxRate.objects.create(
        base=base, quote=quote, rate=rate, source=FxRate.Source.SEED, as_of=timezone.now()
    )
