"""The baseline ratchet shared by ci/census.py and ci/upstream.py: counts are
recorded with --record and a later run fails if any count drops below them."""
import os


def ratchet(path, counts, record, what):
    """Writes `counts` to `path` when recording; else 1 (with a message) if a
    count fell below the recorded one, 0 otherwise."""
    summary = " ".join(f"{k}={v}" for k, v in counts.items())
    if record:
        with open(path, "w") as f:
            f.write(summary + "\n")
        return 0
    if not os.path.exists(path):
        return 0
    recorded = open(path).read().strip()
    base = dict(kv.split("=") for kv in recorded.split())
    dropped = [k for k, v in counts.items() if v < int(base.get(k, 0))]
    if dropped:
        print(f"{what}: below the recorded baseline ({recorded}): {', '.join(dropped)}")
        return 1
    return 0
