"""extra_specs_ops.match: every operator, and requirements that do not parse."""

import pytest

from cirrus.scheduler.filters import extra_specs_ops
from cirrus.scheduler.filters.extra_specs_ops import match


@pytest.mark.parametrize(
    ("value", "req", "expected"),
    [
        # Literals: string equality, surrounding whitespace in the requirement ignored.
        ("ssd", "ssd", True),
        ("ssd", "  ssd ", True),
        ("ssd", "hdd", False),
        ("1", "1.0", False),
        ("", "", True),
        (None, "ssd", False),
        (None, "", False),
        # A first word that is not an operator makes the whole requirement a literal.
        ("a", "a <or> b", False),
        ("a <or> b", "a <or> b", True),
        ("4", "=4", False),
        ("=4", "=4", True),
    ],
)
def test_literal(value, req, expected):
    assert match(value, req) is expected


@pytest.mark.parametrize(
    ("value", "req", "expected"),
    [
        # "=" means "at least".
        ("4", "= 4", True),
        ("8", "= 4", True),
        ("2", "= 4", False),
        ("4.5", "= 4.25", True),
        ("4", "== 4", True),
        ("4.0", "== 4", True),
        ("5", "== 4", False),
        ("5", "!= 4", True),
        ("4", "!= 4", False),
        ("4", ">= 4", True),
        ("3", ">= 4", False),
        ("4", "<= 4", True),
        ("5", "<= 4", False),
        # Numbers that do not parse, on either side, fail rather than raise.
        ("many", "= 4", False),
        ("4", "== four", False),
        ("many", "!= 4", False),
        # Missing operand.
        ("4", "==", False),
        ("4", "=", False),
        # Extra words after the operand are ignored.
        ("4", ">= 4 junk", True),
    ],
)
def test_numeric(value, req, expected):
    assert match(value, req) is expected


@pytest.mark.parametrize(
    ("value", "req", "expected"),
    [
        ("abc", "s== abc", True),
        ("abd", "s== abc", False),
        ("abd", "s!= abc", True),
        ("abc", "s!= abc", False),
        ("abd", "s>= abc", True),
        ("abc", "s>= abc", True),
        ("abb", "s>= abc", False),
        ("abd", "s> abc", True),
        ("abc", "s> abc", False),
        ("abb", "s<= abc", True),
        ("abc", "s<= abc", True),
        ("abd", "s<= abc", False),
        ("abb", "s< abc", True),
        ("abc", "s< abc", False),
        # String comparison is lexicographic, not numeric.
        ("10", "s< 9", True),
        ("abc", "s==", False),
    ],
)
def test_string(value, req, expected):
    assert match(value, req) is expected


@pytest.mark.parametrize(
    ("value", "req", "expected"),
    [
        ("nvme-ssd", "<in> ssd", True),
        ("hdd", "<in> ssd", False),
        ("ssd", "<in>", False),
        # Substrings, not words: "avx" is found inside "avx2".
        ("avx2", "<all-in> avx", True),
        ("avx,avx2,sse4", "<all-in> avx2 sse4", True),
        ("avx,sse4", "<all-in> avx2 sse4", False),
        ("avx", "<all-in>", False),
    ],
)
def test_substring(value, req, expected):
    assert match(value, req) is expected


@pytest.mark.parametrize(
    ("value", "req", "expected"),
    [
        ("a", "<or> a <or> b", True),
        ("b", "<or> a <or> b", True),
        ("c", "<or> a <or> b <or> c", True),
        ("d", "<or> a <or> b", False),
        ("a", "<or> a", True),
        # Malformed: no alternatives at all, or missing <or> keywords between them.
        ("a", "<or>", False),
        ("<or>", "<or> <or>", False),
        ("b", "<or> a b", True),
        # An alternative must equal the value, not merely be part of it.
        ("ab", "<or> a <or> b", False),
    ],
)
def test_or(value, req, expected):
    assert match(value, req) is expected


@pytest.mark.parametrize("op", sorted(extra_specs_ops.OPERATORS))
def test_operator_against_absent_value_fails(op):
    assert match(None, f"{op} 1") is False


def test_operators_are_the_documented_set():
    documented = {"=", "<in>", "<all-in>", "<or>", "s==", "s!=", "s>=", "s>", "s<=", "s<"}
    documented |= {"==", "!=", ">=", "<="}
    assert documented == extra_specs_ops.OPERATORS
