"""Cell helpers shared by the Python-driven suites of test/compat/run.sh
(python/ and kcat/): each op is a cell that passes, fails or is n/a."""

import time

WAIT = 20.0  # default wait for records, assignments and metadata to show up


class NA(Exception):
    """The client or the Kafka line does not support the op."""


class Fail(Exception):
    """The op ran but did not do what it should."""


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def wait_until(what, fn, timeout=WAIT, every=0.2):
    """Calls fn until it returns a true value; fails after timeout seconds.
    Fail and NA end the wait at once; any other error is taken as transient
    and retried until the deadline."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            v = fn()
            if v:
                return v
            last = None
        except (Fail, NA):
            raise
        except Exception as e:  # noqa: BLE001 - retried until the deadline
            last = e
        if time.monotonic() > deadline:
            raise Fail(f"timed out after {timeout:.0f}s waiting for {what}" + (f" (last error: {last})" if last else ""))
        time.sleep(every)
