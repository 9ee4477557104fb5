"""The seller's first response is kept on the request (filled here from the event log, with
the definition the shop scores used: the earliest event by the seller), and every list gets an
index in its own filter and order: the buyer's requests, the seller's queue (in progress, one
state, the counters), the staff dispute queue and the notification centre."""

from django.conf import settings
from django.db import migrations, models
from django.db.models import Exists, OuterRef, Subquery


def fill_first_response(apps, schema_editor):
    Request = apps.get_model("aftersales", "AfterSalesRequest")
    Event = apps.get_model("aftersales", "RequestEvent")
    by_seller = Event.objects.filter(request=OuterRef("pk"), actor_role="seller")
    Request.objects.filter(Exists(by_seller)).update(
        first_response_at=Subquery(by_seller.order_by("created_at").values("created_at")[:1])
    )


class Migration(migrations.Migration):

    dependencies = [
        ('aftersales', '0008_one_vocabulary'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='aftersalesrequest',
            name='aftersales__buyer_i_b4c211_idx',
        ),
        migrations.RemoveIndex(
            model_name='aftersalesrequest',
            name='aftersales__shop_id_e7bcab_idx',
        ),
        migrations.RemoveIndex(
            model_name='notification',
            name='aftersales__recipie_fbe528_idx',
        ),
        migrations.AddField(
            model_name='aftersalesrequest',
            name='first_response_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name="seller's first response"),
        ),
        migrations.RunPython(fill_first_response, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name='aftersalesrequest',
            index=models.Index(fields=['buyer', '-created_at', '-id'], name='request_buyer_list'),
        ),
        migrations.AddIndex(
            model_name='aftersalesrequest',
            index=models.Index(fields=['shop', 'state', 'due_at', '-created_at', '-id'], name='request_seller_queue_state'),
        ),
        migrations.AddIndex(
            model_name='aftersalesrequest',
            index=models.Index(condition=models.Q(('state__in', ('submitted', 'negotiating', 'rejected', 'awaiting_return', 'return_shipped', 'inspecting', 'repairing', 'replacement_shipped', 'repair_shipped', 'disputed'))), fields=['shop', 'due_at', '-created_at', '-id'], name='request_seller_queue_open'),
        ),
        migrations.AddIndex(
            model_name='dispute',
            index=models.Index(fields=['status', 'ruling_due_at', '-id'], name='dispute_queue'),
        ),
        migrations.AddIndex(
            model_name='notification',
            index=models.Index(fields=['recipient', '-created_at', '-id'], name='notification_list'),
        ),
    ]
