import os
import threading
import time

from watchfiles import Change, watch


def test_sees_a_new_file(tmp_path):
    stop = threading.Event()
    target = tmp_path / "new.txt"

    def writer():
        time.sleep(0.3)
        target.write_text("x")

    threading.Thread(target=writer).start()
    seen = set()
    for changes in watch(tmp_path, stop_event=stop, rust_timeout=5000, yield_on_timeout=True, debounce=200):
        seen |= changes
        if any(os.path.basename(p) == "new.txt" for _, p in seen):
            break
        stop.set()
    assert (Change.added, str(target)) in seen
