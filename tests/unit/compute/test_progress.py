"""DiskProgress: a driver's byte counts become few, throttled writes of the migration."""

import pytest

from cirrus.compute.progress import COPY, DiskProgress

MiB = 1 << 20


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _figures(done: int, total: int, rate: int) -> dict[str, object]:
    return {"disk_step": COPY, "disk_total": total, "disk_processed": done,
            "disk_remaining": total - done, "disk_rate": rate}


def test_writes_the_start_then_at_most_every_interval_and_the_end(clock: Clock) -> None:
    written: list[dict[str, object]] = []
    with DiskProgress(written.append, COPY, 0.5, clock) as report:
        report(0, 8 * MiB)
        for done in range(1, 9):
            clock.now += 0.375
            report(done * MiB, 8 * MiB)
    # 0.375 s per MiB: written at the start, at 0.75 s (2 MiB), 1.5 s (4 MiB), 2.25 s
    # (6 MiB) and at the end, at 3 s; the 1, 3, 5 and 7 MiB reports come too soon.
    rate = round(MiB / 0.375)
    assert written == [_figures(0, 8 * MiB, 0), _figures(2 * MiB, 8 * MiB, rate),
                       _figures(4 * MiB, 8 * MiB, rate), _figures(6 * MiB, 8 * MiB, rate),
                       _figures(8 * MiB, 8 * MiB, rate)]


def test_leaving_the_block_writes_the_last_figures_held_back(clock: Clock) -> None:
    written: list[dict[str, object]] = []
    with pytest.raises(OSError, match="read failed"), \
            DiskProgress(written.append, COPY, 10.0, clock) as report:
        report(0, 4 * MiB)
        clock.now += 1.0
        report(MiB, 4 * MiB)
        clock.now += 1.0
        report(2 * MiB, 4 * MiB)
        raise OSError("read failed")
    assert written == [_figures(0, 4 * MiB, 0), _figures(2 * MiB, 4 * MiB, MiB)]


def test_the_end_of_a_step_is_written_at_once(clock: Clock) -> None:
    written: list[dict[str, object]] = []
    with DiskProgress(written.append, COPY, 10.0, clock) as report:
        report(0, 2 * MiB)
        clock.now += 0.5
        report(MiB, 2 * MiB)
        clock.now += 0.5
        report(2 * MiB, 2 * MiB)
        # Not held until the block ends: a reader sees the step done while the
        # driver still finishes its work.
        assert written == [_figures(0, 2 * MiB, 0), _figures(2 * MiB, 2 * MiB, 2 * MiB)]
    assert len(written) == 2


def test_nothing_reported_writes_nothing(clock: Clock) -> None:
    written: list[dict[str, object]] = []
    with DiskProgress(written.append, COPY, 0.5, clock):
        pass
    assert written == []


def test_an_empty_step_is_written_once_as_done(clock: Clock) -> None:
    written: list[dict[str, object]] = []
    with DiskProgress(written.append, COPY, 0.5, clock) as report:
        report(0, 0)
    assert written == [_figures(0, 0, 0)]


def test_a_failed_write_does_not_fail_the_move(clock: Clock) -> None:
    calls: list[dict[str, object]] = []

    def write(fields: dict[str, object]) -> None:
        calls.append(fields)
        raise RuntimeError("database is locked")

    with DiskProgress(write, COPY, 0.0, clock) as report:
        report(0, MiB)
        report(MiB, MiB)
    assert [c["disk_processed"] for c in calls] == [0, MiB]
