"""A served feature row round-trips exactly through its logged form, and only under its own columns."""

from __future__ import annotations

import json
import math

import numpy as np

from features import logged_row

COLUMNS = ("post_likes_total", "post_age_hours", "user_likes_7d")


def test_a_row_comes_back_exactly_non_finite_values_included() -> None:
    values = np.array([1e-300, 123456789.123456789, np.nan])
    logged = json.loads(json.dumps(logged_row.encode(COLUMNS, values)))  # as stored in the payload
    decoded = logged_row.decode(logged, COLUMNS)
    assert decoded is not None and list(decoded) == list(COLUMNS)
    assert decoded["post_likes_total"] == 1e-300 and decoded["post_age_hours"] == 123456789.123456789
    assert math.isnan(decoded["user_likes_7d"])


def test_a_row_logged_under_other_columns_is_not_decoded() -> None:
    logged = logged_row.encode(COLUMNS, np.array([1.0, 2.0, 3.0]))
    assert logged_row.decode(logged, COLUMNS[::-1]) is None  # same names, another order
    assert logged_row.decode(logged, (*COLUMNS, "another")) is None
    assert logged_row.decode(None, COLUMNS) is None and logged_row.decode("junk", COLUMNS) is None


def test_the_earlier_name_value_form_still_decodes() -> None:
    decoded = logged_row.decode({"post_likes_total": 3, "user_likes_7d": None}, COLUMNS)
    assert decoded is not None and decoded["post_likes_total"] == 3.0 and math.isnan(decoded["user_likes_7d"])
    assert "post_age_hours" not in decoded  # not logged: not comparable
