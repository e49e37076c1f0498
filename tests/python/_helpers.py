"""Helpers shared by the test files (run on CPython and pyfacade alike)."""


def rss_kib():
    """Resident set size of this process, in KiB (Linux)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def rss_growth_kib(churn, warm=20_000, n=100_000):
    """RSS growth over `churn(n)` after a warm-up of `churn(warm)`, with a
    full collection after each, in KiB."""
    import gc

    churn(warm)
    gc.collect()
    before = rss_kib()
    churn(n)
    gc.collect()
    return rss_kib() - before
