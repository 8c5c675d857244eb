"""No project code reaches into the private names of Django, redis-py, Celery or django-ninja.

A private name is spelled with one leading underscore (`_pools`; not `__dunder__`). Such names
change without notice between releases (DESIGN.md, "Public APIs only"): where speed needs one, a
maintained library or a public hook does the job instead.

The scan reads every .py file of the project's packages (procurement, catalog, orders, payments,
logistics; migrations included; not tests, bench or the virtualenv) and reports, with file and
line:

1. Names known to be the internals of Django's cache and ORM and of redis-py, wherever they
   appear (an attribute, a called name, a string such as `getattr(x, "_pools")`):
   `KNOWN_PRIVATE` below (`_pools`, `_servers`, `_get_connection_pool_index`, `_clients`,
   `get_converters`, ...).
2. `<name>._<attr>` where `<name>` is imported from one of those packages (`LIBRARIES`), also
   further down the chain (`connection.ops._x`, `caches["default"]._cache`), and any private
   name imported from them (`from django.x import _y`).
3. Inside a class with a base imported from those packages (a session store, a cache backend,
   a management command...): `self._attr`, `cls._attr` and `super()._attr`, and
   `self.<attr>._attr` where the class does not set `<attr>` itself (an object the library
   gave it, such as a command's `self.stderr`), unless `_attr` is the project's own: defined in
   a class body of the project (a method or a class attribute) or assigned as an attribute
   somewhere in it (`request._memberships_cache = ...`).

The project's own private helpers (`services._default_validity`, `self._run` defined by the
same admin class) are never reported. A few underscore names are public, documented APIs and
are allowed everywhere: `PUBLIC_DESPITE_UNDERSCORE`.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGES = ("procurement", "catalog", "orders", "payments", "logistics")
LIBRARIES = frozenset({"django", "redis", "celery", "kombu", "ninja", "django_redis"})
KNOWN_PRIVATE = frozenset(
    {
        # Django's Redis cache client and redis-py's connection pools
        "_pools",
        "_servers",
        "_get_connection_pool_index",
        "_get_connection_pool",
        "_clients",
        "_pool_class",
        "_pool_options",
        # Django's SQL compiler
        "get_converters",
        "apply_converters",
    }
)
PUBLIC_DESPITE_UNDERSCORE = frozenset(
    {
        "_meta",  # the Model _meta API
        "_default_manager",  # documented on Model
        "_base_manager",
        "_state",  # Model instance state (`adding`, `db`), documented
        "_db",  # a manager's database, as Django's custom manager examples use it
        # namedtuple's documented methods and fields
        "_replace",
        "_asdict",
        "_fields",
        "_make",
    }
)


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def project_files() -> Iterator[Path]:
    for package in PACKAGES:
        yield from sorted((BASE_DIR / package).rglob("*.py"))


def _root(node: ast.AST) -> ast.AST:
    """The start of a chain such as `caches["default"].client.get()._x`: `caches`."""
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node


def _is_self(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id in ("self", "cls")


def _is_super(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"
    )


def _set_names(klass: ast.ClassDef) -> set[str]:
    """Names a class defines itself: its methods and class attributes, and `self.x = ...`."""
    names = set()
    for node in klass.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    for node in ast.walk(klass):
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(
                t.attr for t in targets if isinstance(t, ast.Attribute) and _is_self(t.value)
            )
    return names


def project_private_names(trees) -> frozenset[str]:
    """Private names the project defines itself: in class bodies, or assigned as attributes."""
    names = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                names.update(n for n in _set_names(node) if is_private(n))
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(
                    t.attr for t in targets if isinstance(t, ast.Attribute) and is_private(t.attr)
                )
    return frozenset(names)


class _Scan(ast.NodeVisitor):
    def __init__(self, own: frozenset[str]):
        self.own = own
        self.library_names: set[str] = set()
        self.classes: list[tuple[bool, set[str]]] = []  # (derives from a library, sets)
        self.found: list[tuple[int, str]] = []

    def report(self, node: ast.AST, what: str) -> None:
        self.found.append((node.lineno, what))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] in LIBRARIES:
                self.library_names.add((alias.asname or alias.name).split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module and node.module.split(".")[0] in LIBRARIES:
            for alias in node.names:
                if is_private(alias.name) or alias.name in KNOWN_PRIVATE:
                    self.report(node, f"from {node.module} import {alias.name}")
                self.library_names.add(alias.asname or alias.name)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        from_library = any(
            isinstance(_root(base), ast.Name) and _root(base).id in self.library_names
            for base in node.bases
        )
        self.classes.append((from_library, _set_names(node)))
        self.generic_visit(node)
        self.classes.pop()

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in KNOWN_PRIVATE:
            self.report(node, node.id)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and node.value in KNOWN_PRIVATE:
            self.report(node, repr(node.value))

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.generic_visit(node)
        name = node.attr
        if name in KNOWN_PRIVATE:
            self.report(node, f".{name}")
            return
        if not is_private(name) or name in PUBLIC_DESPITE_UNDERSCORE:
            return
        root = _root(node.value)
        if isinstance(root, ast.Name) and root.id in self.library_names:
            self.report(node, f"{ast.unparse(node)} ({root.id} is imported from a library)")
            return
        if not self.classes or not self.classes[-1][0] or name in self.own:
            return
        sets = self.classes[-1][1]
        owner = node.value
        if (_is_self(owner) or _is_super(owner)) and name not in sets:
            self.report(node, f"{ast.unparse(node)} (inherited from a library class)")
        elif isinstance(owner, ast.Attribute) and _is_self(owner.value) and owner.attr not in sets:
            self.report(node, f"{ast.unparse(node)} (on an object a library class holds)")


def private_uses(source: str, own: frozenset[str] = frozenset()) -> list[tuple[int, str]]:
    scan = _Scan(own)
    scan.visit(ast.parse(source))
    return scan.found


def test_no_project_code_names_a_private_attribute_of_a_library():
    sources = {path: path.read_text(encoding="utf-8") for path in project_files()}
    trees = {path: ast.parse(source, filename=str(path)) for path, source in sources.items()}
    own = project_private_names(trees.values())
    found = []
    for path, tree in trees.items():
        scan = _Scan(own)
        scan.visit(tree)
        found += [f"{path.relative_to(BASE_DIR)}:{line}: {what}" for line, what in scan.found]

    assert len(sources) > 100  # the packages were found
    assert found == [], "Private names of Django, redis-py, Celery or ninja:\n" + "\n".join(found)


# The rule, on small examples: what it reports and what it leaves alone.
REPORTED = {
    "pools": "self._pools[index] = pool",
    "servers": "server = client._servers[0]",
    "converters": "converters = compiler.get_converters(expressions)",
    "getattr": 'pools = getattr(cache, "_pools")',
    "imported-object": "from django.db import connection\nconnection._commit()",
    "down-the-chain": 'from django.core.cache import caches\ncaches["default"]._cache.get("k")',
    "imported-module": "import redis\nredis._compat",
    "private-import": "from django.db.models.sql.compiler import _private",
    "inherited": (
        "from django.contrib.sessions.backends import cached_db\n"
        "class Store(cached_db.SessionStore):\n"
        "    def load(self):\n"
        "        return self._get_session_from_db()\n"
    ),
    "super": (
        "from django.core.cache.backends import redis\n"
        "class Cache(redis.RedisCache):\n"
        "    def get(self, key):\n"
        "        return super()._cache.get(key)\n"
    ),
    "held-by-the-library": (
        "from django.core.management.base import BaseCommand\n"
        "class Command(BaseCommand):\n"
        "    def handle(self):\n"
        "        return self.stderr._out\n"
    ),
}
LEFT_ALONE = {
    "own-module-helper": "from orders import services\nservices._default_validity()",
    "own-method": (
        "from django.contrib import admin\n"
        "class PurchaseOrderAdmin(admin.ModelAdmin):\n"
        "    def _run(self):\n"
        "        pass\n"
        "    def place(self):\n"
        "        return self._run()\n"
    ),
    "own-attribute": (
        "from django.core.management.base import BaseCommand\n"
        "class Command(BaseCommand):\n"
        "    def handle(self):\n"
        "        self._seen = set()\n"
        "        self.bar = object()\n"
        "        return self._seen, self.bar._whatever\n"
    ),
    "own-class": "class Rounding:\n    def total(self):\n        return self._exponents\n",
    "documented": (
        "from django.db import models\n"
        "class Order(models.Model):\n"
        "    def fields(self):\n"
        "        return self._meta.fields, self._state.adding, type(self)._default_manager\n"
    ),
}


@pytest.mark.parametrize("source", REPORTED.values(), ids=REPORTED.keys())
def test_the_scan_reports(source):
    assert private_uses(source)


@pytest.mark.parametrize("source", LEFT_ALONE.values(), ids=LEFT_ALONE.keys())
def test_the_scan_leaves_alone(source):
    assert private_uses(source) == []


def test_a_private_name_the_project_sets_on_a_library_object_is_its_own():
    source = (
        "from django.views import View\n"
        "class Page(View):\n"
        "    def get(self, request):\n"
        "        return self.request._memberships_cache\n"
    )

    assert private_uses(source)
    assert private_uses(source, own=frozenset({"_memberships_cache"})) == []
