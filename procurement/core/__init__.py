"""The ground floor every app shares; it imports no app above it (the import-linter contract).

- `models`: the abstract `TimeStampedModel` and `StatusEvent`, `hash_token`, and the kernel's
  tables: `OutboxTask`, `ApiKey`, `IdempotentRequest`, `WebhookEndpoint` / `WebhookDelivery` /
  `WebhookAttempt` (rows of a company name it as "accounts.Company", never by import);
- `exceptions`: `DomainError`, the one base of every refusal; `states`: the one state machine;
- `outbox`: Celery tasks written in the caller's transaction and sent once it commits;
- `apikeys`, `idempotency`, `webhooks`: what the API and every app's events are built on; the
  rules that need companies and roles (owners only) are `procurement.accounts.integrations`;
- `tasks`: webhook deliveries and the sweeps; `admin`, `admin_base`: read-only admin pieces.
"""
