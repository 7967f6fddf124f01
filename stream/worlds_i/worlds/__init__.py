"""Registry of the seven lenders, in --list order."""
from __future__ import annotations

from .auto_dealer import AutoDealer
from .base import World
from .payroll_bridge import PayrollBridge
from .ride_fuel import RideFuel
from .silver_pension import SilverPension
from .skill_school import SkillSchool
from .tea_coop import TeaCoop
from .uplift_waves import UpliftWaves

WORLDS: dict[str, type[World]] = {w.name: w for w in (
    TeaCoop, RideFuel, AutoDealer, SilverPension, SkillSchool, PayrollBridge, UpliftWaves)}
