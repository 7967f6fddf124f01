"""The seven lender worlds of family K, in listing order."""
from __future__ import annotations

from .w_freight import FreightTruckers
from .w_gym import GymPrepaid
from .w_livestream import LivestreamStudios
from .w_mine import MineRotation
from .w_solar import SolarInstallers
from .w_tickets import TicketDrops
from .w_wedding import WeddingBanquets

WORLDS = {cls.name: cls for cls in (
    SolarInstallers, TicketDrops, MineRotation, WeddingBanquets,
    FreightTruckers, LivestreamStudios, GymPrepaid)}
