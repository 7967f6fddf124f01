"""The six lender worlds of family F."""

from .bnpl import BnplInstalments
from .coop import RuralCoop
from .crossborder import CrossBorderSeller
from .gig import GigDaily
from .migration import AppMigration
from .payday import PaydayAdvance

LENDERS = {w.name: w for w in (PaydayAdvance, GigDaily, CrossBorderSeller, RuralCoop, BnplInstalments, AppMigration)}
