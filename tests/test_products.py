"""Product catalogue: the shipped defaults load; every kind of mistake is named."""

import copy
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from puhui.errors import ValidationError
from puhui.products import APR_CAP, CatalogueInvalid, load_catalogue, parse_catalogue
from puhui.schedule import Method

SHIPPED = yaml.safe_load(
    (Path(__file__).parents[1] / "src/puhui/products/catalogue.yaml").read_text("utf-8")
)


def test_shipped_catalogue_has_the_seed_products():
    cat = load_catalogue()
    assert set(cat.products) == {
        "xintai_farmer_line",
        "merchant_sales_line",
        "seasonal_farm_loan",
        "disaster_insurance_loan",
        "green_agri_loan",
    }
    xintai = cat.get("xintai_farmer_line")
    assert xintai.amount_min_yuan == Decimal("1000")
    assert xintai.amount_max_yuan == Decimal("300000")
    assert xintai.terms_months == (3, 6, 9, 12)
    assert min(xintai.rate_bands.values()) == Decimal("0.072")
    assert max(xintai.rate_bands.values()) == Decimal("0.108")
    assert xintai.revolving
    # equal installments for everyone, interest-first only for quality bands
    assert xintai.methods_for("E") == (Method.EQUAL_INSTALLMENT,)
    assert Method.INTEREST_FIRST in xintai.methods_for("A")


def test_green_loan_is_discounted_and_merchant_line_priced_on_sales():
    cat = load_catalogue()
    assert cat.get("green_agri_loan").rate_for("A") < cat.get("xintai_farmer_line").rate_for("A")
    merchant = cat.get("merchant_sales_line")
    assert merchant.rate_for("B", Decimal("150000")) < merchant.rate_for("B", Decimal("5000"))
    assert cat.get("seasonal_farm_loan").principal_months == frozenset({6, 10})


def _broken(**changes: object) -> dict:
    data = copy.deepcopy(SHIPPED)
    data["products"][0].update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"amount_min": "500000"}, "amount_min", "greater than amount_max"),
        ({"rate_bands": {"A": "0.30"}}, "rate_bands.A", "APR cap"),
        ({"methods": [{"method": "balloon_magic"}]}, "methods[0].method", "unknown value"),
        ({"terms_months": []}, "terms_months", "non-empty"),
        ({"amount_max": "1.234"}, "amount_max", "2 decimal places"),
        ({"interest_basis": "weekly"}, "interest_basis", "unknown value"),
        ({"penalty_multiplier": "3"}, "penalty_multiplier", "between 1 and 2"),
        ({"colour": "red"}, "colour", "unknown field"),
    ],
)
def test_each_problem_names_the_product_and_field(changes, field, words):
    with pytest.raises(CatalogueInvalid) as err:
        parse_catalogue(_broken(**changes), "test.yaml")
    problems = [p for p in err.value.problems if p.field == field]
    assert problems, err.value.problems
    assert problems[0].product == "xintai_farmer_line"
    assert words in problems[0].message
    assert "xintai_farmer_line" in err.value.message_en


def test_all_problems_are_reported_together():
    data = _broken(amount_min="500000", terms_months=[])
    data["products"][1]["rate_bands"] = {"Z": "0.1"}
    with pytest.raises(CatalogueInvalid) as err:
        parse_catalogue(data, "test.yaml")
    fields = {(p.product, p.field) for p in err.value.problems}
    assert ("xintai_farmer_line", "amount_min") in fields
    assert ("xintai_farmer_line", "terms_months") in fields
    assert ("merchant_sales_line", "rate_bands.Z") in fields


def test_seasonal_method_needs_harvest_months():
    data = copy.deepcopy(SHIPPED)
    seasonal = next(p for p in data["products"] if p["code"] == "seasonal_farm_loan")
    del seasonal["principal_months"]
    with pytest.raises(CatalogueInvalid) as err:
        parse_catalogue(data)
    assert any(p.field == "principal_months" for p in err.value.problems)


def test_duplicate_codes_are_refused():
    data = copy.deepcopy(SHIPPED)
    data["products"].append(copy.deepcopy(data["products"][0]))
    with pytest.raises(CatalogueInvalid, match="duplicate"):
        parse_catalogue(data)


def test_missing_file_and_bad_yaml_are_clear(tmp_path):
    with pytest.raises(ValidationError) as err:
        load_catalogue(tmp_path / "nope.yaml")
    assert err.value.code == "CATALOGUE_UNREADABLE"
    bad = tmp_path / "bad.yaml"
    bad.write_text("products: [\n", "utf-8")
    with pytest.raises(CatalogueInvalid, match="not valid YAML"):
        load_catalogue(bad)


def test_every_shipped_rate_is_under_the_cap():
    for product in load_catalogue().products.values():
        for band in product.rate_bands:
            assert 0 < product.rate_for(band) <= APR_CAP
