"""C-API family group 'run', exercised through tests/ext/capi_run on pyfacade
and on CPython 3.13 (the oracle): the same assertions must hold on both."""
import capi_run as m


def test_loads():
    assert m.ping() is True
