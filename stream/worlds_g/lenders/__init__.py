"""The seven lenders (worlds) of family G, by name."""
from .acquired import AcquiredBook
from .agri import AgriHarvest
from .autoedu import AutoEduTightening
from .nightly import NightlyBatch
from .partners import PartnerBlind
from .timezones import MultiTimezone
from .zerolimit import ZeroLimit

WORLDS = {w.name: w for w in (AcquiredBook(), NightlyBatch(), MultiTimezone(), PartnerBlind(),
                              ZeroLimit(), AgriHarvest(), AutoEduTightening())}
