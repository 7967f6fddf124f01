"""Family M: independent synthetic lender worlds (loan-events contract v1.1) with ground-truth labels."""
from .generate import generate, list_worlds  # noqa: F401
