"""The Celery test app: broker from CELERY_BROKER_URL, one task that sleeps."""
import os
import time

from celery import Celery

app = Celery('wltest', broker=os.environ['CELERY_BROKER_URL'])
app.conf.worker_send_task_events = True
app.conf.worker_hijack_root_logger = False


@app.task(name='jobs.long')
def long(seconds):
    time.sleep(seconds)
    return seconds


@app.task(name='jobs.fail')
def fail(message):
    raise ValueError(message)
