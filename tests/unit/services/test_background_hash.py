import hashlib
import os

import pytest

from cirrus.image.hashing import BackgroundHash


def test_digest_is_that_of_the_bytes_in_order() -> None:
    chunks = [os.urandom(n) for n in (1, 70_000, 1 << 20, 3, 500_000, 1 << 20, 12)]
    for algo in ("md5", "sha512", "sha256"):
        with BackgroundHash(algo) as h:
            for chunk in chunks:
                h.update(chunk)
        assert h.hexdigest() == hashlib.new(algo, b"".join(chunks)).hexdigest()


def test_digest_without_close_waits_for_the_queue() -> None:
    h = BackgroundHash("sha512")
    data = os.urandom(1 << 20)
    for _ in range(10):
        h.update(data)
    assert h.hexdigest() == hashlib.sha512(data * 10).hexdigest()
    h.close()
    h.close()


def test_a_failed_update_is_raised_to_the_caller() -> None:
    h = BackgroundHash("md5")
    h.update("not bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        h.hexdigest()
    h.close()
