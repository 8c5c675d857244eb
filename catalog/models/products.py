"""The category tree, products with their SKUs, images and quantity-break prices, and the
record of each 1688 import."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from catalog.models.suppliers import Province, Supplier
from catalog.models.uploads import (
    CATEGORY_MAX_DEPTH,
    IMAGE_EXTENSIONS,
    IMAGE_MAX_BYTES,
    GeneratedName,
    UploadCheck,
)
from procurement.core.hazards import HazardListField
from procurement.core.models import TimeStampedModel

HS_CODE = RegexValidator(
    r"^[0-9]{6,12}$", _("An HS code has 6 to 12 digits, without dots or spaces.")
)


class Category(models.Model):
    """A node of the three-level category tree; products hang from the leaves."""

    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_zh = models.CharField(_("name (Chinese)"), max_length=120, blank=True)
    slug = models.SlugField(_("slug"), max_length=140, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    # Visible products in this category and below, refreshed by `category_counts_refresh`.
    product_count = models.PositiveIntegerField(_("products"), default=0, editable=False)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["depth", "position", "name_en", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(depth__lte=CATEGORY_MAX_DEPTH), name="category_at_most_three_levels"
            ),
        ]

    def __str__(self) -> str:
        return self.name_en

    def clean(self) -> None:
        if self.parent is not None:
            if self.parent.depth >= CATEGORY_MAX_DEPTH:
                raise ValidationError(
                    {"parent": _("Categories have at most three levels.")}, code="too_deep"
                )
            node = self.parent
            while node is not None:
                if self.pk is not None and node.pk == self.pk:
                    raise ValidationError(
                        {"parent": _("A category cannot sit below itself.")}, code="cycle"
                    )
                node = node.parent

    def name_for(self, language: str | None) -> str:
        if language and language.startswith("zh") and self.name_zh:
            return self.name_zh
        return self.name_en


class Product(TimeStampedModel):
    class Source(models.TextChoices):
        ALIBABA_1688 = "1688", _("1688")
        TAOBAO = "taobao", _("Taobao / Tmall")
        OTHER = "other", _("Other")

    class Unit(models.TextChoices):
        PIECE = "piece", _("piece")
        PAIR = "pair", _("pair")
        SET = "set", _("set")
        BOX = "box", _("box")
        METRE = "metre", _("metre")
        KILOGRAM = "kg", _("kilogram")
        ROLL = "roll", _("roll")
        DOZEN = "dozen", _("dozen")
        BOTTLE = "bottle", _("bottle")
        BAG = "bag", _("bag")
        PACK = "pack", _("pack")
        BARREL = "barrel", _("barrel")
        # A unit we have no word for: `unit_source` keeps the supplier's own word.
        OTHER = "other", _("unit as the supplier states it")

    supplier = models.ForeignKey(
        Supplier, verbose_name=_("supplier"), on_delete=models.PROTECT, related_name="products"
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="products"
    )
    title_en = models.CharField(_("title (English)"), max_length=255)
    title_zh = models.CharField(_("title (Chinese)"), max_length=255, blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    source = models.CharField(
        _("source"), max_length=8, choices=Source.choices, default=Source.OTHER
    )
    source_offer_id = models.CharField(_("source offer id"), max_length=64, blank=True)
    source_url = models.URLField(_("source URL"), max_length=500, blank=True)
    unit = models.CharField(_("unit"), max_length=8, choices=Unit.choices, default=Unit.PIECE)
    # What the supplier's offer said, kept as given (`catalog.units.portal_unit` maps it).
    unit_source = models.CharField(_("unit on 1688"), max_length=16, blank=True, db_default="")
    unit_source_trans = models.CharField(
        _("unit on 1688, translated"), max_length=32, blank=True, db_default=""
    )
    moq = models.PositiveIntegerField(
        _("minimum order quantity"), default=1, validators=[MinValueValidator(1)]
    )
    order_multiple = models.PositiveIntegerField(
        _("order multiple"), default=1, validators=[MinValueValidator(1)]
    )
    weight_kg = models.DecimalField(
        _("unit weight (kg)"), max_digits=10, decimal_places=3, null=True, blank=True
    )
    length_cm = models.DecimalField(
        _("length (cm)"), max_digits=8, decimal_places=1, null=True, blank=True
    )
    width_cm = models.DecimalField(
        _("width (cm)"), max_digits=8, decimal_places=1, null=True, blank=True
    )
    height_cm = models.DecimalField(
        _("height (cm)"), max_digits=8, decimal_places=1, null=True, blank=True
    )
    hs_code = models.CharField(
        _("HS code"),
        max_length=12,
        blank=True,
        validators=[HS_CODE],
        help_text=_("At least six digits; customs declarations copy it."),
    )
    origin_country = CountryField(_("country of origin"), default="CN", db_default="CN")
    hazards = HazardListField(
        _("hazards"),
        help_text=_(
            "Set on import from the 1688 category (catalog hazard rules); channels refuse "
            "what they do not accept."
        ),
    )
    lead_time_days = models.PositiveSmallIntegerField(
        _("lead time (days)"),
        null=True,
        blank=True,
        help_text=_("Days the supplier needs from a paid order to dispatch to our warehouse."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    # --- kept whole from the 1688 offer (`catalog.services.offer_import`) ---
    # Translated titles and descriptions by language code ({"ko": "..."}): the merchant sees
    # their language, staff see the Chinese original (`title_zh`, `description_zh`).
    title_translations = models.JSONField(
        _("translated titles"),
        default=dict,
        db_default=models.Value({}, output_field=models.JSONField()),
        blank=True,
        editable=False,
    )
    description_translations = models.JSONField(
        _("translated descriptions"),
        default=dict,
        db_default=models.Value({}, output_field=models.JSONField()),
        blank=True,
        editable=False,
    )
    # Every attribute in the offer's order, repeated names included: a list of
    # {"id", "name", "value", "name_trans", "value_trans", "language"}.
    specifications = models.JSONField(
        _("specifications"),
        default=list,
        db_default=models.Value([], output_field=models.JSONField()),
        blank=True,
    )
    # The offer's own image URLs in order; `offer_images_download` stores them as images.
    image_urls = models.JSONField(
        _("source image URLs"),
        default=list,
        db_default=models.Value([], output_field=models.JSONField()),
        blank=True,
    )
    ship_from = models.CharField(_("ships from"), max_length=100, blank=True, db_default="")
    ship_from_province = models.CharField(
        _("ships from province"), max_length=20, choices=Province.choices, blank=True, db_default=""
    )
    source_status = models.CharField(_("status on 1688"), max_length=32, blank=True, db_default="")
    consign_price_cny = models.DecimalField(
        _("dropshipping price (CNY)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    # Summaries kept by `product_summary_refresh` so listings sort and filter on one table.
    min_price_cny = models.DecimalField(
        _("lowest unit price (CNY)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        editable=False,
    )
    in_stock = models.BooleanField(_("in stock"), default=False, editable=False)
    cover_thumbnail = models.CharField(
        _("cover thumbnail"), max_length=255, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["-created_at", "-pk"]
        permissions = [("import_offer", _("Can import offers from 1688"))]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_offer_id"],
                condition=~Q(source_offer_id=""),
                name="product_unique_source_offer",
            ),
            models.CheckConstraint(condition=Q(moq__gte=1), name="product_moq_positive"),
            models.CheckConstraint(
                condition=Q(order_multiple__gte=1), name="product_order_multiple_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["category", "-created_at", "-id"], name="product_cat_newest"),
            models.Index(fields=["category", "min_price_cny", "id"], name="product_cat_price"),
            models.Index(fields=["category", "moq", "id"], name="product_cat_moq"),
            models.Index(fields=["-created_at", "-id"], name="product_newest"),
            models.Index(fields=["min_price_cny", "id"], name="product_price"),
            models.Index(fields=["moq", "id"], name="product_moq"),
            # Read by no listing since they are cached by generation (catalog.generation), as
            # `supplier_updated`: both can go in a migration.
            models.Index(fields=["updated_at"], name="product_updated"),
            # A supplier's active products counted from the index alone (the product page).
            models.Index(
                fields=["supplier", "id"],
                condition=Q(is_active=True),
                name="product_supplier_active",
            ),
        ]

    def __str__(self) -> str:
        return self.title_en

    def clean(self) -> None:
        if self.source_offer_id and self.source == self.Source.OTHER and not self.source_url:
            raise ValidationError(
                {"source_url": _("Give the source URL for an offer from another site.")}
            )

    def title_for(self, language: str | None) -> str:
        """Chinese for zh, the offer's translation into `language` where 1688 gave one, else
        the English title."""
        if language and language.startswith("zh") and self.title_zh:
            return self.title_zh
        # English is `title_en` itself (imports write the English translation there), and a
        # listing that loaded only some columns is not made to fetch the translations per row.
        if (
            not language
            or language.startswith("en")
            or ("title_translations" in self.get_deferred_fields())
        ):
            return self.title_en
        return _translated(self.title_translations, language) or self.title_en

    def description_for(self, language: str | None) -> str:
        """The description as stored (imported HTML is sanitized on the way in; pages still
        render it through `catalog.adapters.html.description_html`)."""
        if language and language.startswith("zh") and self.description_zh:
            return self.description_zh
        return (
            _translated(self.description_translations, language)
            or self.description_en
            or self.description_zh
        )

    def specification_rows(self, language: str | None) -> list[dict]:
        """`specifications` grouped by attribute in the offer's order, repeated names kept as
        several values, in `language` with the Chinese beside:
        [{"name", "values", "name_zh", "values_zh"}]."""
        rows: dict[str, dict] = {}
        for item in self.specifications if isinstance(self.specifications, list) else []:
            name, value = attribute_in(item, language)
            name_zh = str(item.get("name") or "")
            row = rows.setdefault(
                name_zh or name, {"name": name, "values": [], "name_zh": name_zh, "values_zh": []}
            )
            row["values"].append(value)
            row["values_zh"].append(str(item.get("value") or ""))
        return list(rows.values())


def attribute_in(item: dict, language: str | None) -> tuple[str, str]:
    """(name, value) of one kept 1688 attribute in `language`: its translation into that
    language, else into English, else the Chinese original."""
    name, value = str(item.get("name") or ""), str(item.get("value") or "")
    if language and language.startswith("zh"):
        return name, value
    trans = item.get("trans") if isinstance(item.get("trans"), dict) else {}
    for code in ((language or "").lower(), (language or "").lower().split("-")[0], "en"):
        found = trans.get(code)
        if isinstance(found, dict) and (found.get("name") or found.get("value")):
            return str(found.get("name") or name), str(found.get("value") or value)
    return name, value


def _translated(texts, language: str | None) -> str:
    """`texts[language]`, or its base language ("ko" for "ko-kr"), or ""."""
    if not language or not isinstance(texts, dict):
        return ""
    language = language.lower()
    return texts.get(language) or texts.get(language.split("-")[0]) or ""


class ProductImage(models.Model):
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="images"
    )
    image = models.ImageField(
        _("image"),
        upload_to=GeneratedName("catalog/products"),
        validators=[UploadCheck(IMAGE_EXTENSIONS, IMAGE_MAX_BYTES)],
        help_text=_("JPEG, PNG or WebP, at most 8 MB."),
    )
    thumbnail = models.ImageField(
        _("thumbnail"), upload_to=GeneratedName("catalog/thumbs"), blank=True, editable=False
    )
    alt_text = models.CharField(_("description for screen readers"), max_length=200, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    # Where an imported image came from (one of `Product.image_urls` or a SKU's image).
    source_url = models.URLField(
        _("source URL"), max_length=1000, blank=True, db_default="", editable=False
    )

    class Meta:
        verbose_name = _("product image")
        verbose_name_plural = _("product images")
        ordering = ["product", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.product_id} #{self.position}"

    @property
    def list_url(self) -> str:
        return (self.thumbnail or self.image).url


class Sku(models.Model):
    """One buyable variant: a combination of attribute values such as colour and size."""

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="skus"
    )
    code = models.CharField(_("SKU code"), max_length=80, unique=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    stock = models.PositiveIntegerField(_("stock"), default=0)
    price_cny = models.DecimalField(
        _("price override (CNY)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Leave empty to use the product's quantity-break price."),
    )
    image = models.ForeignKey(
        ProductImage,
        verbose_name=_("image"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    # --- kept whole from the 1688 offer ---
    source_sku_id = models.CharField(_("1688 skuId"), max_length=32, blank=True, db_default="")
    # The id 1688's order API asks for (`cargoParamList[].specId`).
    spec_id = models.CharField(_("1688 specId"), max_length=64, blank=True, db_default="")
    # Every attribute in order: [{"id", "name", "value", "name_trans", "value_trans",
    # "language", "image"}]; `attributes` above is the merchant-facing {name: value} of it.
    attribute_list = models.JSONField(
        _("attributes as 1688 gave them"),
        default=list,
        db_default=models.Value([], output_field=models.JSONField()),
        blank=True,
        editable=False,
    )
    consign_price_cny = models.DecimalField(
        _("dropshipping price (CNY)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    promotion_price_cny = models.DecimalField(
        _("promotion price (CNY)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    weight_kg = models.DecimalField(
        _("weight (kg)"), max_digits=10, decimal_places=3, null=True, blank=True
    )
    length_cm = models.DecimalField(
        _("length (cm)"), max_digits=8, decimal_places=1, null=True, blank=True
    )
    width_cm = models.DecimalField(
        _("width (cm)"), max_digits=8, decimal_places=1, null=True, blank=True
    )
    height_cm = models.DecimalField(
        _("height (cm)"), max_digits=8, decimal_places=1, null=True, blank=True
    )
    image_url = models.URLField(_("source image URL"), max_length=1000, blank=True, db_default="")

    class Meta:
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")
        ordering = ["product", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price_cny__isnull=True) | Q(price_cny__gt=0),
                name="sku_price_override_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def label(self) -> str:
        return " / ".join(str(v) for v in self.attributes.values()) or self.code

    @property
    def label_zh(self) -> str:
        """The Chinese original of `label`, for staff and for the page beside the translation."""
        return self.label_for("zh")

    def label_for(self, language: str | None) -> str:
        """The variant's values in `language` (as 1688 translated them), else `label`."""
        items = self.attribute_list if isinstance(self.attribute_list, list) else []
        values = [attribute_in(a, language)[1] for a in items if isinstance(a, dict)]
        return " / ".join(v for v in values if v) or self.label


class PriceTier(models.Model):
    """From `min_quantity` units of the product (all SKUs together), each costs this much."""

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="tiers"
    )
    min_quantity = models.PositiveIntegerField(
        _("from quantity"), validators=[MinValueValidator(1)]
    )
    unit_price_cny = models.DecimalField(_("unit price (CNY)"), max_digits=12, decimal_places=2)
    # 1688's promotion price for this break (`priceRangeList[].promotionPrice`): shown beside,
    # never charged by itself (it may need the seller's membership or campaign).
    promotion_price_cny = models.DecimalField(
        _("promotion price (CNY)"), max_digits=12, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("price tier")
        verbose_name_plural = _("price tiers")
        ordering = ["product", "min_quantity"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "min_quantity"], name="pricetier_unique_quantity"
            ),
            models.CheckConstraint(
                condition=Q(min_quantity__gte=1), name="pricetier_min_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(unit_price_cny__gt=0), name="pricetier_price_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"≥{self.min_quantity}: ¥{self.unit_price_cny}"


class OfferImport(TimeStampedModel):
    """One import of a 1688 offer: which API answered, what changed, and the response itself.

    Written by `catalog.services.offer_import` in the same transaction as the product, so the
    log lists exactly what each import changed (`changed_fields`, empty when nothing did).
    """

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="imports"
    )
    api = models.CharField(_("API"), max_length=64)
    language = models.CharField(_("translation language"), max_length=16, blank=True)
    created = models.BooleanField(_("created the product"), default=False)
    changed_fields = models.JSONField(_("changed fields"), default=list, blank=True)
    # The partner's response as it came, so nothing it said is lost to our mapping.
    payload = models.JSONField(_("response"), default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("offer import")
        verbose_name_plural = _("offer imports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.product_id} @ {self.created_at:%Y-%m-%d %H:%M}"
