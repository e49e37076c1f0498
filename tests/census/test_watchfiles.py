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
    batches = 0
    # A few batches: on a loaded machine the watcher may yield an empty
    # timeout batch before the writer runs.
    for changes in watch(tmp_path, stop_event=stop, rust_timeout=5000, yield_on_timeout=True, debounce=200):
        seen |= changes
        batches += 1
        if any(os.path.basename(p) == "new.txt" for _, p in seen) or batches >= 3:
            break
    assert (Change.added, str(target)) in seen
