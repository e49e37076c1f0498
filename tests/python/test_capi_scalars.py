"""C-API family group 'scalars', exercised through tests/ext/capi_scalars on pyfacade
and on CPython 3.13 (the oracle): the same assertions must hold on both."""
import capi_scalars as m


def test_loads():
    assert m.ping() is True
