"""Carrier tracking (README "Parcel tracking"): what the carriers say about the after-sales
parcels (return parcels, replacements, repaired items).

A provider is asked about some shipments and answers with the trace lines it knows for each
(:class:`TraceLine`: status, time, place and its own id for the line). It is chosen by the
``TRACKING_PROVIDER`` setting; the default :class:`SimulatedTracking` makes a parcel move along
by itself, picked up → in transit → out for delivery → signed for, at
``SIMULATED_TRACKING_HOURS`` after it was handed in, so the demo and the tests see it move. A
real tracking service may also push its lines (``portals.tracking``); either way they are
recorded by one service, :func:`aftersales.services.tracking.record_trace`.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from .models import Carrier, Shipment, TrackingEvent

Status = TrackingEvent.Status

# The order a parcel goes through; a parcel never goes back to an earlier one.
PROGRESS = [Status.PICKED_UP, Status.IN_TRANSIT, Status.OUT_FOR_DELIVERY, Status.SIGNED]
RANK = {status: rank for rank, status in enumerate(PROGRESS)}


@dataclass(frozen=True)
class TraceLine:
    """One line of a parcel's trace. ``external_id`` is the provider's id for it: the same
    line reported again carries the same id."""

    status: str
    happened_at: datetime
    place: str
    external_id: str


class TrackingProvider(Protocol):
    source: str  # a ``TrackingEvent.Source``

    def trace(self, shipments: Sequence[Shipment], *, now: datetime) -> dict[int, list[TraceLine]]:
        """The trace lines known at ``now`` for each of ``shipments``, by shipment id (a
        shipment with no news may be left out). Lines may repeat ones reported before."""


# Where the simulated parcels go: the buyer's side by the order's region, the shop's side by
# the shop. Each city in both languages, since the trace is stored as the carrier said it.
CITIES = {
    "east": "杭州 Hangzhou",
    "north": "北京 Beijing",
    "south": "广州 Guangzhou",
    "central": "武汉 Wuhan",
    "southwest": "成都 Chengdu",
    "northwest": "西安 Xi'an",
    "northeast": "沈阳 Shenyang",
    "remote": "乌鲁木齐 Ürümqi",
}
SHOP_CITIES = ["上海 Shanghai", "深圳 Shenzhen", "义乌 Yiwu", "苏州 Suzhou", "东莞 Dongguan"]
HUBS = {
    Carrier.SF: "顺丰 SF",
    Carrier.JD: "京东 JD",
    Carrier.EMS: "邮政 EMS",
    Carrier.ZTO: "中通 ZTO",
    Carrier.YTO: "圆通 YTO",
    Carrier.STO: "申通 STO",
    Carrier.YUNDA: "韵达 Yunda",
}


def _places(shipment: Shipment) -> dict[str, str]:
    """Plausible places for each step of a simulated parcel: from the sender's city, through
    the carrier's hub at the receiver's city, to the door."""
    buyer_city = (
        CITIES.get(shipment.request.order.region)
        or list(CITIES.values())[shipment.request.order_id % len(CITIES)]
    )
    shop_city = SHOP_CITIES[shipment.request.shop_id % len(SHOP_CITIES)]
    to_shop = shipment.purpose == Shipment.Purpose.RETURN
    origin, destination = (buyer_city, shop_city) if to_shop else (shop_city, buyer_city)
    hub = HUBS.get(shipment.carrier, shipment.carrier)
    return {
        Status.PICKED_UP: f"{origin} 揽收 pickup",
        Status.IN_TRANSIT: f"{hub} {destination} 转运中心 hub",
        Status.OUT_FOR_DELIVERY: f"{destination} 派送中 out for delivery",
        Status.SIGNED: f"{destination} 已签收 signed",
    }


def simulated_hours() -> dict[str, float]:
    return settings.SIMULATED_TRACKING_HOURS


class SimulatedTracking:
    """A parcel reaches each status ``SIMULATED_TRACKING_HOURS[status]`` hours after it was
    handed in (``Shipment.shipped_at``); the line's id is ``sim-<shipment>-<status>``, so
    asking again gives the same lines."""

    source = TrackingEvent.Source.SIMULATED

    def trace(self, shipments: Sequence[Shipment], *, now: datetime) -> dict[int, list[TraceLine]]:
        hours = simulated_hours()
        traces: dict[int, list[TraceLine]] = {}
        for shipment in shipments:
            places = _places(shipment)
            lines = [
                TraceLine(
                    status=status,
                    happened_at=at,
                    place=places[status],
                    external_id=f"sim-{shipment.pk}-{status}",
                )
                for status in PROGRESS
                if (at := shipment.shipped_at + timedelta(hours=hours[status])) <= now
            ]
            if lines:
                traces[shipment.pk] = lines
        return traces


def provider() -> TrackingProvider:
    return import_string(settings.TRACKING_PROVIDER)()
