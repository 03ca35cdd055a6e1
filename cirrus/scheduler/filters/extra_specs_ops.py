"""Matching one host value against one extra-spec requirement, with Nova's operators.

A requirement is either a literal (string equality, surrounding whitespace ignored) or
an operator followed by its operand(s), separated by whitespace:

* ``= N``: numeric, the value is at least N;
* ``== N``, ``!= N``, ``>= N``, ``<= N``: numeric comparisons;
* ``s== S``, ``s!= S``, ``s>= S``, ``s> S``, ``s<= S``, ``s< S``: string comparisons;
* ``<in> S``: S is a substring of the value;
* ``<all-in> S1 S2 ...``: every Si is a substring of the value;
* ``<or> A <or> B ...``: the value equals one of the alternatives.

A requirement whose first word is not an operator is a literal, so ``"a <or> b"`` only
matches the value ``"a <or> b"``. Operators never raise: a missing operand, or a number
that does not parse, makes the match fail.
"""

import operator
from collections.abc import Callable

OR = "<or>"
IN = "<in>"
ALL_IN = "<all-in>"

# Each operator takes the host value and the words after the operator.
_Operator = Callable[[str, list[str]], bool]


def _numeric(compare: Callable[[float, float], bool]) -> _Operator:
    def run(value: str, operands: list[str]) -> bool:
        if not operands:
            return False
        try:
            return compare(float(value), float(operands[0]))
        except ValueError:
            return False

    return run


def _string(compare: Callable[[str, str], bool]) -> _Operator:
    def run(value: str, operands: list[str]) -> bool:
        return bool(operands) and compare(value, operands[0])

    return run


def _any_of(value: str, operands: list[str]) -> bool:
    # The alternatives are the words between the <or> keywords.
    return value in {word for word in operands if word != OR}


def _all_in(value: str, operands: list[str]) -> bool:
    return bool(operands) and all(operand in value for operand in operands)


_OPERATORS: dict[str, _Operator] = {
    "=": _numeric(operator.ge),
    "==": _numeric(operator.eq),
    "!=": _numeric(operator.ne),
    ">=": _numeric(operator.ge),
    "<=": _numeric(operator.le),
    "s==": _string(operator.eq),
    "s!=": _string(operator.ne),
    "s>=": _string(operator.ge),
    "s>": _string(operator.gt),
    "s<=": _string(operator.le),
    "s<": _string(operator.lt),
    IN: _string(lambda value, operand: operand in value),
    ALL_IN: _all_in,
    OR: _any_of,
}

OPERATORS = frozenset(_OPERATORS)
"""Every word that starts an operator requirement."""


def match(value: str | None, req: str) -> bool:
    """Whether ``value`` (a host's value, None when absent) satisfies ``req``."""
    words = req.split()
    method = _OPERATORS.get(words[0]) if words else None
    if method is None:
        return value == req.strip()
    if value is None:
        return False
    return method(value, words[1:])
