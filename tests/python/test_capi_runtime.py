"""C-API family group 'runtime', exercised through tests/ext/capi_runtime on pyfacade
and on CPython 3.13 (the oracle): the same assertions must hold on both."""
import capi_runtime as m


def test_loads():
    assert m.ping() is True
