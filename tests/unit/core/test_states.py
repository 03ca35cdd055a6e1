"""Status derivation and the migration transition table."""

import itertools

import pytest

from cirrus.objects import states
from cirrus.objects.states import MigrationStatus as M


@pytest.mark.parametrize(("vm", "task", "status"), [
    ("active", None, "ACTIVE"), ("building", "scheduling", "BUILD"),
    ("active", "resize_prep", "RESIZE"), ("stopped", "resize_migrating", "RESIZE"),
    ("stopped", None, "SHUTOFF"), ("resized", None, "VERIFY_RESIZE"),
    ("resized", "resize_reverting", "REVERT_RESIZE"), ("error", None, "ERROR"),
    ("active", "rebooting", "REBOOT"), ("active", "rebooting_hard", "HARD_REBOOT"),
    ("active", "deleting", "ACTIVE"), ("active", "powering-off", "ACTIVE"),
    ("deleted", None, "DELETED"), ("bogus", None, "UNKNOWN"),
])
def test_status_from_state(vm, task, status):
    assert states.status_from_state(vm, task) == status


def test_status_filter_round_trip():
    pairs = states.states_from_status("resize")
    assert ("active", "resize_prep") in pairs
    assert all(states.status_from_state(vm, t) == "RESIZE" for vm, t in pairs)
    assert states.states_from_status("nonsense") == []


def test_resize_confirm_and_revert_paths_are_allowed():
    confirm = [M.PRE_MIGRATING, M.MIGRATING, M.POST_MIGRATING, M.FINISHED, M.CONFIRMING,
               M.CONFIRMED]
    revert = [M.PRE_MIGRATING, M.MIGRATING, M.POST_MIGRATING, M.FINISHED, M.REVERTING,
              M.REVERTED]
    for path in (confirm, revert):
        for old, new in itertools.pairwise(path):
            states.check_transition(old, new)


@pytest.mark.parametrize(("old", "new"), [
    (M.CONFIRMED, M.REVERTING), (M.REVERTED, M.CONFIRMING), (M.PRE_MIGRATING, M.FINISHED),
    (M.ERROR, M.FINISHED),
])
def test_illegal_transitions_raise(old, new):
    with pytest.raises(ValueError, match="may not change"):
        states.check_transition(old, new)
