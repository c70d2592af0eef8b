"""Jobs the RQ test workers run (imported by `rq worker --path` this folder)."""
import time


def long(seconds):
    time.sleep(seconds)
    return seconds


def fail(message):
    raise ValueError(message)
