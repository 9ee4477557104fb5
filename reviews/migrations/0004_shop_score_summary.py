"""Shop scores stored per shop (``reviews.summary``); the shop page's reviews in their order."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0002_verbose_names'),
        ('reviews', '0003_staff_can_read_reviews'),
    ]

    operations = [
        migrations.CreateModel(
            name='ShopScoreSummary',
            fields=[
                ('shop', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='orders.shop', verbose_name='shop')),
                ('computed_at', models.DateTimeField(verbose_name='computed')),
                ('scores', models.JSONField(verbose_name='scores')),
                ('trend', models.JSONField(verbose_name='trend')),
            ],
            options={
                'verbose_name': 'shop score summary',
                'verbose_name_plural': 'shop score summaries',
            },
        ),
        migrations.RemoveIndex(
            model_name='review',
            name='reviews_rev_shop_id_4be4fa_idx',
        ),
        migrations.AddIndex(
            model_name='review',
            index=models.Index(fields=['shop', '-created_at', '-id'], name='review_shop_list'),
        ),
    ]
