"""Helpers shared by the test files (run on CPython and pyfacade alike)."""


def rss_kib():
    """Resident set size of this process, in KiB (Linux)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")
