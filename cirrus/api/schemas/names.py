"""Nova's rule for resource names: printable, and no blank at either end."""

import unicodedata

from cirrus import exception


def _printable(char: str) -> bool:
    category = unicodedata.category(char)
    # Control/format characters are not; of the separators only horizontal spaces are.
    return not category.startswith("C") and (not category.startswith("Z") or category == "Zs")


def check_name(value: object) -> None:
    """Raise Nova's "invalid name" 400 for a string name that breaks the rule.

    Non-strings are left to the schema, which reports the type.

    Raises:
        ValidationError: an unprintable character, or a space at the start or end.
    """
    if not isinstance(value, str) or not value:
        return
    ends_ok = all(_printable(c) and unicodedata.category(c) != "Zs"
                  for c in (value[0], value[-1]))
    if not ends_ok or not all(_printable(c) for c in value):
        raise exception.ValidationError(
            "An invalid 'name' value was provided. The name must be: printable characters. "
            "Can not start or end with whitespace.")
