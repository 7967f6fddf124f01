"""``riskmon rescale`` that SIGKILLs itself part-way, for tests/integration/test_rescale.py.

    python -m tests.rescale_kill STEP COUNT PARTITIONS

runs the rescale with the settings of the environment and kills itself
(``kill -9``: no flush, no clean-up) once COUNT records of STEP (``states`` or
``tail``) have been handed to the producer.  It pauses at COUNT / 2 so that the
first half has reached the broker, while the second is still in flight: the
next run must find the one and write the other.
The hook lives here, not in the command: production code only calls ``progress``.
"""

from __future__ import annotations

import os
import signal
import sys
import time

from stream.logs import configure_logging
from stream.ops.rescale import rescale
from stream.settings import load_settings


def main(argv: list[str]) -> int:
    step, count, partitions = argv[0], int(argv[1]), int(argv[2])

    def progress(at: str, n: int) -> None:
        if at == step and n == count // 2:
            time.sleep(0.5)  # the producer's sender thread delivers what it has meanwhile
        if at == step and n >= count:
            print(f"killing myself at {step} {n}", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

    configure_logging("INFO")
    rescale(load_settings(), partitions, progress=progress)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
