import os

import psutil


def test_process_and_system():
    p = psutil.Process()
    assert p.pid == os.getpid()
    assert p.memory_info().rss > 0
    assert psutil.cpu_count() >= 1
    assert psutil.virtual_memory().total > 0
    assert os.getpid() in psutil.pids()
