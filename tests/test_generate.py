"""The model queue: first come first served, bounded, with time limits (no model needed)."""

import threading
import time

import pytest

from qa.errors import BusyError
from qa.generate import ModelQueue


def wait_for(predicate) -> None:
    deadline = time.monotonic() + 5
    while not predicate():
        assert time.monotonic() < deadline
        time.sleep(0.005)


def test_turns_are_first_come_first_served():
    queue, served, threads = ModelQueue(10), [], []

    def take(i: int) -> None:
        with queue.turn(None):
            served.append(i)

    with queue.turn(None):
        for i in range(6):
            threads.append(threading.Thread(target=take, args=(i,)))
            threads[-1].start()
            wait_for(lambda i=i: queue.waiting == i + 1)
    for t in threads:
        t.join()
    assert served == [0, 1, 2, 3, 4, 5]
    assert queue.waiting == 0 and not queue.busy()


def test_full_queue_is_busy_and_a_waiter_times_out():
    queue = ModelQueue(1)
    with queue.turn(None):
        waiter = threading.Thread(target=lambda: _hold(queue))
        waiter.start()
        wait_for(lambda: queue.waiting == 1)
        assert queue.busy()
        with pytest.raises(BusyError):
            with queue.turn(None):
                pass
        queue.max_waiting = 5
        deadline = time.monotonic() + 0.1
        with pytest.raises(TimeoutError):
            with queue.turn(lambda: time.monotonic() > deadline):
                pass
        assert queue.waiting == 1  # the timed-out caller left the line
    waiter.join()
    assert queue.waiting == 0 and not queue.busy()


def _hold(queue: ModelQueue) -> None:
    with queue.turn(None):
        pass


def test_fold_system_puts_the_instructions_before_the_first_question():
    from qa.generate import fold_system

    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Q?"}]
    assert fold_system(messages) == [{"role": "user", "content": "Be brief.\n\nQ?"}]
    assert messages[1]["content"] == "Q?"  # the caller's list is left alone
