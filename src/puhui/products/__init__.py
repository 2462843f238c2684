"""Products 产品: the catalogue of loan products and their pricing and limit rules.

Owns: the ``Product`` type, rate bands (A best … E), repayment methods allowed per band,
penalty multiplier, revolving or single-draw, seasonal principal months, sales-based pricing,
and loading/validating the YAML catalogue (``catalogue.yaml`` ships the defaults from the seeds).

Invariants: every rate a product can produce is positive and ≤ the 24 % APR cap; every product
offers at least one term and one method; a loaded catalogue is complete or not returned at all.
May import: ``money``, ``schedule``, ``errors``.
"""

from puhui.products.catalogue import (
    APR_CAP,
    BANDS,
    Catalogue,
    CatalogueInvalid,
    LimitBasis,
    LimitRule,
    MethodRule,
    Problem,
    Product,
    SalesTier,
    Segment,
    load_catalogue,
    parse_catalogue,
)

__all__ = [
    "APR_CAP",
    "BANDS",
    "Catalogue",
    "CatalogueInvalid",
    "LimitBasis",
    "LimitRule",
    "MethodRule",
    "Problem",
    "Product",
    "SalesTier",
    "Segment",
    "load_catalogue",
    "parse_catalogue",
]
