"""C-API family group 'unicode', exercised through tests/ext/capi_unicode on pyfacade
and on CPython 3.13 (the oracle): the same assertions must hold on both."""
import capi_unicode as m


def test_loads():
    assert m.ping() is True
