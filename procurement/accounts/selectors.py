"""Reads for companies and members, with their relations fetched."""

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


def memberships_with_companies(*, user: User) -> list[Membership]:
    """The rows and order of `memberships_for_user`, each membership with its company, for the
    middleware that resolves the current company on every signed-in request.

    The SQL is written out because it runs on every page: the ORM spends about half a
    millisecond compiling the select_related join each time, this about 0.05 ms. The columns
    come from the models and go through the backend's converters as the ORM's would.
    """
    quote = connection.ops.quote_name
    models = (Membership, Company)
    fields = [list(model._meta.concrete_fields) for model in models]
    columns = [
        f"{alias}.{quote(field.column)}"
        for alias, model_fields in zip(("m", "c"), fields, strict=True)
        for field in model_fields
    ]
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(Membership._meta.db_table)} m"  # noqa: S608  # nosec B608
        f" JOIN {quote(Company._meta.db_table)} c ON c.{quote(Company._meta.pk.column)}"
        f" = m.{quote(Membership._meta.get_field('company').column)}"
        f" WHERE m.{quote(Membership._meta.get_field('user').column)} = %s"
        f" ORDER BY c.{quote(Company._meta.get_field('legal_name').column)},"
        f" m.{quote(Membership._meta.pk.column)}"
    )
    compiler = SQLCompiler(Membership.objects.none().query, connection, connection.alias)
    expressions = [
        field.get_col(model._meta.db_table)
        for model, model_fields in zip(models, fields, strict=True)
        for field in model_fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk])
        rows = cursor.fetchall()
    converters = compiler.get_converters(expressions)
    if converters:
        rows = compiler.apply_converters(rows, converters)
    names = [[field.attname for field in model_fields] for model_fields in fields]
    split = len(names[0])
    memberships = []
    for row in rows:
        membership = Membership.from_db(connection.alias, names[0], row[:split])
        membership.company = Company.from_db(connection.alias, names[1], row[split:])
        memberships.append(membership)
    return memberships


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
