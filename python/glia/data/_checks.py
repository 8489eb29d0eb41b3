"""Argument checks shared by glia.data."""
import numbers


def count(value, name, op, minimum=1):
    """`value` as an int >= minimum; bools and non-integers raise a ValueError naming op."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{op}: {name} must be an int >= {minimum}, got {value!r}")
    return int(value)
