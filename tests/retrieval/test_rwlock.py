"""The linker's readers-writer lock: readers overlap, a writer runs alone and is not starved."""
from __future__ import annotations

import threading
import time

from retrieval.rwlock import ReadWriteLock


def test_readers_overlap():
    lock = ReadWriteLock()
    inside, peak = 0, 0
    guard = threading.Lock()

    def read():
        nonlocal inside, peak
        with lock.reading():
            with guard:
                inside += 1
                peak = max(peak, inside)
            time.sleep(0.05)
            with guard:
                inside -= 1

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak > 1


def test_writer_excludes_readers_and_waits_for_them():
    lock = ReadWriteLock()
    events: list[str] = []
    reading = threading.Event()

    def read():
        with lock.reading():
            reading.set()
            time.sleep(0.1)
            events.append("read-done")

    def write():
        reading.wait()
        with lock.writing():
            events.append("write")

    r, w = threading.Thread(target=read), threading.Thread(target=write)
    r.start(); w.start(); r.join(); w.join()
    assert events == ["read-done", "write"]


def test_waiting_writer_goes_before_new_readers():
    lock = ReadWriteLock()
    order: list[str] = []
    first_reader_in = threading.Event()
    writer_waiting = threading.Event()

    def first_reader():
        with lock.reading():
            first_reader_in.set()
            writer_waiting.wait()
            time.sleep(0.05)

    def writer():
        first_reader_in.wait()
        writer_waiting.set()
        with lock.writing():
            order.append("writer")

    def late_reader():
        writer_waiting.wait()
        time.sleep(0.02)
        with lock.reading():
            order.append("late reader")

    threads = [threading.Thread(target=f) for f in (first_reader, writer, late_reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert order == ["writer", "late reader"]
