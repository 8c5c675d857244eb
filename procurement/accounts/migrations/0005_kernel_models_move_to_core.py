# The outbox, API keys, idempotent requests and webhooks moved to the kernel (procurement.core).
# Here they only leave this app's state: their tables, with every row, are renamed to core_* by
# core.0001_kernel_models_from_accounts, which runs after this one.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_outbox_task'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                # Referencing models first, so no model in the state points at a deleted one.
                migrations.DeleteModel(name='WebhookAttempt'),
                migrations.DeleteModel(name='WebhookDelivery'),
                migrations.DeleteModel(name='WebhookEndpoint'),
                migrations.DeleteModel(name='ApiKey'),
                migrations.DeleteModel(name='IdempotentRequest'),
                migrations.DeleteModel(name='OutboxTask'),
            ],
            database_operations=[],
        ),
    ]
