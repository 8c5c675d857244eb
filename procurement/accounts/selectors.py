"""Reads for companies and members, with their relations fetched."""

import functools

from django.db import connection
from django.db.models import QuerySet
from django.db.models.sql.compiler import SQLCompiler

from procurement.accounts.models import Company, Invitation, Membership, User


def memberships_for_user(*, user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user)
        .select_related("company")
        .order_by("company__legal_name", "pk")
    )


def _columns(alias: str, model) -> list[str]:
    quote = connection.ops.quote_name
    return [f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields]


def _read_models(sql: str, params: list, models: tuple) -> list[tuple]:
    """The rows of `sql`, which selects the concrete fields of each of `models` in turn, as
    model instances; values go through the backend's converters as the ORM's would. A model
    whose primary key is NULL (an outer join that found nothing) comes back as None."""
    fields = [list(model._meta.concrete_fields) for model in models]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    compiler = SQLCompiler(models[0].objects.none().query, connection, connection.alias)
    converters = compiler.get_converters(
        [field.get_col(field.model._meta.db_table) for group in fields for field in group]
    )
    if converters:
        rows = compiler.apply_converters(rows, converters)
    result = []
    for row in rows:
        instances, start = [], 0
        for model, group in zip(models, fields, strict=True):
            values = row[start : start + len(group)]
            start += len(group)
            pk_index = group.index(model._meta.pk)
            instances.append(
                None
                if values[pk_index] is None
                else model.from_db(connection.alias, [f.attname for f in group], values)
            )
        result.append(tuple(instances))
    return result


def _memberships_sql(*, from_user: bool) -> str:
    """Memberships with their companies, in `memberships_for_user`'s order; `from_user`: the
    user row first, joined to them (a user with none gives one row of NULLs after it)."""
    return _memberships_sql_for(connection.vendor, from_user)


@functools.cache
def _memberships_sql_for(vendor: str, from_user: bool) -> str:
    """Written once per process and database kind: every signed-in request runs it."""
    quote = connection.ops.quote_name

    def column(model, name: str) -> str:
        return quote(model._meta.get_field(name).column)

    membership = f"{quote(Membership._meta.db_table)} m"
    company = (
        f"{quote(Company._meta.db_table)} c"
        f" ON c.{column(Company, 'id')} = m.{column(Membership, 'company')}"
    )
    if from_user:
        select = _columns("u", User) + _columns("m", Membership) + _columns("c", Company)
        tables = (
            f"{quote(User._meta.db_table)} u LEFT JOIN {membership}"
            f" ON m.{column(Membership, 'user')} = u.{column(User, 'id')}"
            f" LEFT JOIN {company} WHERE u.{column(User, 'id')} = %s"
        )
    else:
        select = _columns("m", Membership) + _columns("c", Company)
        tables = f"{membership} JOIN {company} WHERE m.{column(Membership, 'user')} = %s"
    order = f"c.{column(Company, 'legal_name')}, m.{column(Membership, 'id')}"
    return f"SELECT {', '.join(select)} FROM {tables} ORDER BY {order}"  # noqa: S608  # nosec B608


def _attach(rows) -> list[Membership]:
    memberships = []
    for membership, company in rows:
        if membership is not None:
            membership.company = company
            memberships.append(membership)
    return memberships


def memberships_with_companies(*, user: User) -> list[Membership]:
    """The rows and order of `memberships_for_user`, each membership with its company, for the
    middleware that resolves the current company on every signed-in request.

    The SQL is written out because it runs on every page: the ORM spends about half a
    millisecond compiling the select_related join each time; this takes a tenth of that.
    """
    rows = _read_models(_memberships_sql(from_user=False), [user.pk], (Membership, Company))
    return _attach(rows)


def user_with_memberships(*, user_id) -> tuple[User | None, list[Membership]]:
    """The user with that id (None if there is none) and their `memberships_with_companies`,
    in one query: what every signed-in request reads first (see accounts.backends)."""
    rows = _read_models(_memberships_sql(from_user=True), [user_id], (User, Membership, Company))
    if not rows:
        return None, []
    return rows[0][0], _attach(row[1:] for row in rows)


def membership_for(*, user: User, company_id: int | None) -> Membership | None:
    qs = memberships_for_user(user=user)
    if company_id is not None:
        found = qs.filter(company_id=company_id).first()
        if found is not None:
            return found
    return qs.first()


def company_members(*, company: Company) -> QuerySet[Membership]:
    return company.memberships.select_related("user").order_by("role", "user__email")


def company_open_invitations(*, company: Company) -> QuerySet[Invitation]:
    from django.utils import timezone

    return company.invitations.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).select_related("invited_by")
