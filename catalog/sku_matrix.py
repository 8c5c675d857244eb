"""A product's SKUs as the product page lays them out: colour x size, named in the page's
language (presentation only: no queries)."""

from catalog.models import attribute_in

COLOUR_KEYS = {"colour", "color", "颜色", "颜色分类"}


def variant_values(sku, language: str | None) -> dict[str, str]:
    """{attribute name: value} of a SKU in `language`: from the 1688 attributes kept whole
    (Chinese originals, translations), else the plain `attributes`."""
    items = sku.attribute_list if isinstance(sku.attribute_list, list) else []
    pairs = [attribute_in(item, language) for item in items if isinstance(item, dict)]
    if pairs and all(name for name, _value in pairs):
        return dict(pairs)
    return {str(name): str(value) for name, value in sku.attributes.items()}


def sku_matrix(skus: list, language: str | None = None) -> dict | None:
    """Colour x size (any two attributes), named in `language`: rows, columns and the SKU in
    each cell."""
    if not skus:
        return None
    values = [variant_values(sku, language) for sku in skus]
    # PostgreSQL's jsonb does not keep key order: colour goes first, then alphabetical.
    keys = sorted(values[0].keys(), key=lambda k: (k.lower() not in COLOUR_KEYS, k))
    if len(keys) != 2 or any(set(v) != set(keys) for v in values):
        return None
    rows, cols, cells = [], [], {}
    for sku, attributes in zip(skus, values, strict=True):
        row, col = attributes[keys[0]], attributes[keys[1]]
        if row not in rows:
            rows.append(row)
        if col not in cols:
            cols.append(col)
        cells[(row, col)] = sku
    return {
        "row_label": keys[0],
        "col_label": keys[1],
        "cols": cols,
        "rows": [(row, [(col, cells.get((row, col))) for col in cols]) for row in rows],
    }
