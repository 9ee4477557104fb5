"""Disputes and rulings move from the ``disputes`` app to ``aftersales``: they are written by
the request's own transitions (escalate, rule). This step only teaches the migration state
about them, on the tables they already have; ``disputes`` 0005 forgets its copies, and 0009
renames the tables."""

import django.db.models.deletion
import django.utils.timezone
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('aftersales', '0006_verbose_names'),
        ('disputes', '0004_verbose_names'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Dispute',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('opened_by_role', models.CharField(choices=[('buyer', 'buyer'), ('seller', 'seller'), ('staff', 'platform'), ('system', 'system')], max_length=10, verbose_name='opened by')),
                        ('reason', models.CharField(choices=[('unfair_rejection', 'The seller rejected my request unfairly'), ('unacceptable_proposal', "The seller's solution is not acceptable"), ('disputed_inspection', 'I disagree with the inspection result'), ('seller_unresponsive', 'The seller did not act in time'), ('other', 'Other')], max_length=30, verbose_name='reason')),
                        ('buyer_statement', models.TextField(blank=True, max_length=4000, verbose_name="buyer's statement")),
                        ('seller_statement', models.TextField(blank=True, max_length=4000, verbose_name="seller's statement")),
                        ('status', models.CharField(choices=[('open', 'waiting for a ruling'), ('ruled', 'ruled')], default='open', max_length=10, verbose_name='status')),
                        ('opened_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='opened')),
                        ('seller_answer_due_at', models.DateTimeField(blank=True, null=True, verbose_name='seller answers by')),
                        ('seller_answered_at', models.DateTimeField(blank=True, null=True, verbose_name='seller answered')),
                        ('ruling_due_at', models.DateTimeField(verbose_name='ruling target')),
                    ],
                    options={
                        'verbose_name': 'dispute',
                        'verbose_name_plural': 'disputes',
                        'ordering': ['opened_at', 'pk'],
                        'db_table': 'disputes_dispute',
                    },
                ),
                migrations.CreateModel(
                    name='Ruling',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('outcome', models.CharField(choices=[('refund', 'Refund (full or partial), the buyer keeps the goods'), ('return_and_refund', 'Return the goods, then refund'), ('compensation', 'Compensation'), ('for_seller', 'For the seller: close the request')], max_length=20, verbose_name='outcome')),
                        ('refund_amount', models.DecimalField(decimal_places=2, default=Decimal('0.00'), max_digits=12, verbose_name='refund amount')),
                        ('compensation_amount', models.DecimalField(decimal_places=2, default=Decimal('0.00'), max_digits=12, verbose_name='compensation')),
                        ('rationale', models.TextField(max_length=4000, verbose_name='rationale')),
                        ('decided_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='decided')),
                    ],
                    options={
                        'verbose_name': 'ruling',
                        'verbose_name_plural': 'rulings',
                        'db_table': 'disputes_ruling',
                    },
                ),
                migrations.AddField(
                    model_name='dispute',
                    name='opened_by',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='opened by (user)'),
                ),
                migrations.AddField(
                    model_name='dispute',
                    name='request',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='disputes', to='aftersales.aftersalesrequest', verbose_name='after-sales request'),
                ),
                migrations.AddField(
                    model_name='ruling',
                    name='decided_by',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='decided by'),
                ),
                migrations.AddField(
                    model_name='ruling',
                    name='dispute',
                    field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='ruling', to='aftersales.dispute', verbose_name='dispute'),
                ),
                migrations.AddConstraint(
                    model_name='dispute',
                    constraint=models.UniqueConstraint(condition=models.Q(('status', 'open')), fields=('request',), name='one_open_dispute_per_request'),
                ),
                migrations.AddConstraint(
                    model_name='ruling',
                    constraint=models.CheckConstraint(condition=models.Q(('refund_amount__gte', 0), ('compensation_amount__gte', 0)), name='ruling_amounts_not_negative'),
                ),
            ],
            database_operations=[],
        ),
    ]
