"""The seven lenders, by name, in the brief's order."""
from __future__ import annotations

from ..world import World
from .debt_consolidation_launch import DebtConsolidationLaunch
from .dormant_reactivation import DormantReactivation
from .ev_rider_fleet import EvRiderFleet
from .fishing_moratorium import FishingMoratorium
from .household_tablet import HouseholdTablet
from .restaurant_closures import RestaurantClosures
from .shopping_618 import Shopping618

WORLDS: dict[str, type[World]] = {
    cls.spec.name: cls
    for cls in (
        Shopping618,
        FishingMoratorium,
        EvRiderFleet,
        RestaurantClosures,
        DebtConsolidationLaunch,
        HouseholdTablet,
        DormantReactivation,
    )
}
