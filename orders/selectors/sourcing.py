"""Sourcing requests, their quotes and threads, scoped to the company that asked."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from orders.models import (
    Message,
    SourcingQuote,
    SourcingQuoteLine,
    SourcingRequest,
    SourcingRequestEvent,
)
from procurement.accounts.models import Company


def sourcing_requests_of(*, company: Company) -> QuerySet[SourcingRequest]:
    return (
        SourcingRequest.objects.filter(company=company)
        .select_related("created_by")
        .annotate(quote_count=Count("quotes", filter=~Q(quotes__status="draft")))
        .order_by("-created_at", "-pk")
    )


def sourcing_request_detail(*, company: Company, pk: int) -> SourcingRequest:
    return (
        SourcingRequest.objects.filter(company=company)
        .select_related("created_by", "assigned_to", "product")
        .prefetch_related(
            "photos",
            Prefetch(
                "quotes",
                queryset=SourcingQuote.objects.exclude(status=SourcingQuote.Status.DRAFT)
                .prefetch_related(
                    Prefetch(
                        "lines", queryset=SourcingQuoteLine.objects.select_related("supplier")
                    ),
                    "orders",
                )
                .order_by("-created_at", "-pk"),
            ),
            Prefetch("events", queryset=SourcingRequestEvent.objects.select_related("actor")),
            Prefetch("messages", queryset=Message.objects.select_related("author")),
        )
        .get(pk=pk)
    )


def sourcing_quote_of(*, company: Company, pk: int) -> SourcingQuote:
    return (
        SourcingQuote.objects.filter(request__company=company)
        .exclude(status=SourcingQuote.Status.DRAFT)
        .select_related("request")
        .get(pk=pk)
    )
