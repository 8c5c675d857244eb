# The outbox, API keys, idempotent requests and outbound webhooks, moved here from accounts with
# every row: the models are first created in this app's state on the tables they already have
# (accounts_*), then those tables are renamed to core_*. Nothing is dropped or copied.
# Their content types (and so their permissions and admin history) move to this app too.
# accounts.0005_kernel_models_move_to_core removed them from the accounts state just before.

import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models

MOVED = ['apikey', 'idempotentrequest', 'outboxtask', 'webhookendpoint', 'webhookdelivery', 'webhookattempt']


def _move_content_types(apps, schema_editor, *, source, target):
    content_type = apps.get_model('contenttypes', 'ContentType')
    db = schema_editor.connection.alias
    for model in MOVED:
        if content_type.objects.using(db).filter(app_label=target, model=model).exists():
            continue
        content_type.objects.using(db).filter(app_label=source, model=model).update(app_label=target)


def content_types_to_core(apps, schema_editor):
    _move_content_types(apps, schema_editor, source='accounts', target='core')


def content_types_to_accounts(apps, schema_editor):
    _move_content_types(apps, schema_editor, source='core', target='accounts')


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_kernel_models_move_to_core'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ApiKey',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='created')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                        ('name', models.CharField(max_length=100, verbose_name='name')),
                        ('prefix', models.CharField(editable=False, max_length=16, unique=True, verbose_name='prefix')),
                        ('secret_hash', models.CharField(editable=False, max_length=64)),
                        ('scopes', models.JSONField(default=list, verbose_name='scopes')),
                        ('last_used_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='last used')),
                        ('revoked_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='revoked')),
                        ('company', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_keys', to='accounts.company', verbose_name='company')),
                        ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                    ],
                    options={
                        'db_table': 'accounts_apikey',
                        'verbose_name': 'API key',
                        'verbose_name_plural': 'API keys',
                        'ordering': ['-created_at', '-pk'],
                    },
                ),
                migrations.CreateModel(
                    name='OutboxTask',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('task', models.CharField(max_length=200, verbose_name='task')),
                        ('args', models.JSONField(blank=True, default=list, verbose_name='arguments')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                        ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent')),
                        ('attempts', models.PositiveIntegerField(default=0, verbose_name='attempts')),
                        ('last_error', models.CharField(blank=True, max_length=500, verbose_name='last error')),
                    ],
                    options={
                        'db_table': 'accounts_outboxtask',
                        'verbose_name': 'outbox task',
                        'verbose_name_plural': 'outbox tasks',
                        'ordering': ['created_at', 'pk'],
                        'indexes': [models.Index(condition=models.Q(('sent_at__isnull', True)), fields=['created_at', 'id'], name='outboxtask_unsent_idx'), models.Index(fields=['sent_at'], name='outboxtask_sent_at_idx')],
                    },
                ),
                migrations.CreateModel(
                    name='WebhookDelivery',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('event', models.CharField(max_length=40, verbose_name='event')),
                        ('event_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name='event id')),
                        ('payload', models.JSONField(verbose_name='payload')),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('retrying', 'Retrying'), ('succeeded', 'Delivered'), ('failed', 'Failed')], db_index=True, default='pending', max_length=10, verbose_name='status')),
                        ('attempt_count', models.PositiveSmallIntegerField(default=0, verbose_name='attempts')),
                        ('next_attempt_at', models.DateTimeField(blank=True, null=True, verbose_name='next attempt')),
                        ('delivered_at', models.DateTimeField(blank=True, null=True, verbose_name='delivered')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='created')),
                        ('company', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.company', verbose_name='company')),
                    ],
                    options={
                        'db_table': 'accounts_webhookdelivery',
                        'verbose_name': 'webhook delivery',
                        'verbose_name_plural': 'webhook deliveries',
                        'ordering': ['-created_at', '-pk'],
                    },
                ),
                migrations.CreateModel(
                    name='WebhookAttempt',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.PositiveSmallIntegerField(verbose_name='attempt')),
                        ('status_code', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='status code')),
                        ('response_excerpt', models.TextField(blank=True, verbose_name='response')),
                        ('error', models.CharField(blank=True, max_length=300, verbose_name='error')),
                        ('duration_ms', models.PositiveIntegerField(default=0, verbose_name='duration (ms)')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='when')),
                        ('delivery', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='attempts', to='core.webhookdelivery', verbose_name='delivery')),
                    ],
                    options={
                        'db_table': 'accounts_webhookattempt',
                        'verbose_name': 'webhook attempt',
                        'verbose_name_plural': 'webhook attempts',
                        'ordering': ['delivery', 'number'],
                    },
                ),
                migrations.CreateModel(
                    name='WebhookEndpoint',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='created')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                        ('url', models.URLField(max_length=500, verbose_name='URL')),
                        ('events', models.JSONField(default=list, verbose_name='events')),
                        ('secret', models.CharField(editable=False, max_length=64)),
                        ('is_active', models.BooleanField(default=True, verbose_name='active')),
                        ('company', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='webhook_endpoints', to='accounts.company', verbose_name='company')),
                        ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                    ],
                    options={
                        'db_table': 'accounts_webhookendpoint',
                        'verbose_name': 'webhook endpoint',
                        'verbose_name_plural': 'webhook endpoints',
                        'ordering': ['-created_at', '-pk'],
                    },
                ),
                migrations.AddField(
                    model_name='webhookdelivery',
                    name='endpoint',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='core.webhookendpoint', verbose_name='endpoint'),
                ),
                migrations.CreateModel(
                    name='IdempotentRequest',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.CharField(max_length=255, verbose_name='idempotency key')),
                        ('method_path', models.CharField(max_length=300, verbose_name='request')),
                        ('body_hash', models.CharField(max_length=64)),
                        ('status_code', models.PositiveSmallIntegerField(null=True, verbose_name='status code')),
                        ('response_body', models.JSONField(null=True, verbose_name='response')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='created')),
                        ('company', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.company', verbose_name='company')),
                    ],
                    options={
                        'db_table': 'accounts_idempotentrequest',
                        'verbose_name': 'idempotent request',
                        'verbose_name_plural': 'idempotent requests',
                        'constraints': [models.UniqueConstraint(fields=('company', 'key'), name='idempotentrequest_unique_key')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name='apikey', table=None),
        migrations.AlterModelTable(name='idempotentrequest', table=None),
        migrations.AlterModelTable(name='outboxtask', table=None),
        migrations.AlterModelTable(name='webhookendpoint', table=None),
        migrations.AlterModelTable(name='webhookdelivery', table=None),
        migrations.AlterModelTable(name='webhookattempt', table=None),
        migrations.RunPython(content_types_to_core, content_types_to_accounts),
    ]
