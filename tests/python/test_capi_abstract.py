"""C-API family group 'abstract', exercised through tests/ext/capi_abstract on pyfacade
and on CPython 3.13 (the oracle): the same assertions must hold on both."""
import capi_abstract as m


def test_loads():
    assert m.ping() is True
