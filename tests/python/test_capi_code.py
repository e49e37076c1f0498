"""C-API family group 'code', exercised through tests/ext/capi_code on pyfacade
and on CPython 3.13 (the oracle): the same assertions must hold on both."""
import capi_code as m


def test_loads():
    assert m.ping() is True
