"""The seven worlds (fictional lenders), in --list order."""
from .construction_subcontractors import ConstructionSubcontractors
from .fishing_fleet import FishingFleet
from .medical_installments import MedicalInstallments
from .night_market import NightMarket
from .overseas_students import OverseasStudents
from .renovation_mall import RenovationMall
from .spring_homecoming import SpringHomecoming

WORLDS = {w.name: w for w in (FishingFleet, SpringHomecoming, OverseasStudents, RenovationMall,
                              NightMarket, ConstructionSubcontractors, MedicalInstallments)}
