"""Nothing but the one state machine (procurement/core/states.py) changes a status.

A source scan of every module of the portal (tests, migrations and benchmarks aside) for the ways
a status can be written around it:

- assigning `<obj>.status = ...` (except an exception's own HTTP `self.status`),
- `setattr(<obj>, "status", ...)`,
- `bulk_update(objs, [..., "status", ...])`, which saves statuses set on the objects in bulk,
- a queryset `.update(status=...)` on a stateful model (one deriving from `states.Stateful`), or
  on a queryset whose model the scan cannot name.

Rows without a table of moves (stock items following their parcel, webhook deliveries'
bookkeeping) may be updated in bulk by their model's name. Creating a row with its first status
(`objects.create(status=...)`) is not a move and is allowed.
"""

import ast
from pathlib import Path

from django.apps import apps

from procurement.core.states import Stateful

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("procurement", "catalog", "orders", "payments", "logistics")
STATE_MACHINE = ROOT / "procurement" / "core" / "states.py"


def _stateful_names() -> frozenset[str]:
    return frozenset(m.__name__ for m in apps.get_models() if issubclass(m, Stateful))


def _modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts or path == STATE_MACHINE:
                continue
            yield path


def _is_exception(cls: ast.ClassDef) -> bool:
    names = [b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in cls.bases]
    return any(name.endswith(("Error", "Exception", "Rejected")) for name in names)


def _chain_root(node: ast.AST) -> str | None:
    """`Parcel.objects.filter(...).update` -> "Parcel"; None when the chain starts elsewhere."""
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Name):
            return node.id
        else:
            return None


def _names_status(call: ast.Call) -> bool:
    """A `bulk_update` call whose list of fields names "status"."""
    fields = [*call.args[1:2], *(kw.value for kw in call.keywords if kw.arg == "fields")]
    return any(
        isinstance(item, ast.Constant) and item.value == "status"
        for value in fields
        if isinstance(value, ast.List | ast.Tuple | ast.Set)
        for item in value.elts
    )


def _status_writes(tree: ast.AST, stateful: frozenset[str]):
    exempt = set()
    for cls in ast.walk(tree):
        if isinstance(cls, ast.ClassDef) and _is_exception(cls):
            exempt.update(id(node) for node in ast.walk(cls))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for part in ast.walk(target):
                    if isinstance(part, ast.Attribute) and part.attr == "status":
                        own = isinstance(part.value, ast.Name) and part.value.id == "self"
                        if not (own and id(node) in exempt):
                            yield node.lineno, "assigns .status"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
            if name == "update" and any(kw.arg == "status" for kw in node.keywords):
                root = _chain_root(node.func)
                if root is None or root in stateful or not root[:1].isupper():
                    yield node.lineno, f"updates status in a queryset of {root or '?'}"
            if name == "bulk_update" and _names_status(node):
                yield node.lineno, "bulk_update(..., ['status'])"
            if (
                name == "setattr"
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and node.args[1].value == "status"
            ):
                yield node.lineno, "setattr(..., 'status', ...)"


def test_no_module_outside_the_state_machine_writes_a_status():
    stateful = _stateful_names()
    found = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in _modules()
        for line, what in _status_writes(ast.parse(path.read_text(), filename=str(path)), stateful)
    ]
    assert found == [], "statuses written outside procurement/core/states.py:\n" + "\n".join(found)


def test_the_scan_sees_each_kind_of_write():
    source = (
        "order.status = 'paid'\n"
        "po.status += ''\n"
        "Parcel.objects.filter(pk=1).update(status='x')\n"
        "setattr(job, 'status', 'done')\n"
        "parcels.update(status='x')\n"
        "Parcel.objects.create(status='draft')\n"
        "PurchaseOrderLine.objects.bulk_update(lines, ['received_quantity', 'status'])\n"
        "PurchaseOrderLine.objects.bulk_update(lines, fields=('status',))\n"
        "PurchaseOrderLine.objects.bulk_update(lines, ['received_quantity'])\n"
        "StockItem.objects.filter(pk=1).update(status='x')\n"
        "class Refused(DomainError):\n"
        "    def __init__(self, status):\n"
        "        self.status = status\n"
    )
    lines = [line for line, _what in _status_writes(ast.parse(source), frozenset({"Parcel"}))]
    assert lines == [1, 2, 3, 4, 5, 7, 8]


def test_purchase_order_lines_are_on_the_state_machine():
    """A line's inspection and the merchant's decision are its status: the scan guards it like
    every other stateful model's."""
    assert "PurchaseOrderLine" in _stateful_names()
    source = (
        "line.status = 'passed'\n"
        "PurchaseOrderLine.objects.filter(pk=1).update(status='failed')\n"
        "po.lines.update(status='pending')\n"
    )
    found = [line for line, _what in _status_writes(ast.parse(source), _stateful_names())]
    assert found == [1, 2, 3]
