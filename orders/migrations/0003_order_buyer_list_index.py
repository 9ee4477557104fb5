"""The buyer's orders (已买到的宝贝), newest first, read from an index in that order."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0002_verbose_names'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='order',
            name='orders_orde_buyer_i_2ec3ee_idx',
        ),
        migrations.AddIndex(
            model_name='order',
            index=models.Index(fields=['buyer', '-paid_at', '-id'], name='order_buyer_list'),
        ),
    ]
