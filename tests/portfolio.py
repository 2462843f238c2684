"""Seeded random loan books: see ``puhui.store.bulk.synthetic_book``."""

from puhui.store.bulk import synthetic_book as random_book

__all__ = ["random_book"]
