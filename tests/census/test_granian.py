from granian import Granian
from granian.constants import Interfaces


def test_configure_a_server():
    server = Granian("app:app", address="127.0.0.1", port=0, interface=Interfaces.ASGI, workers=1)
    assert server.interface == Interfaces.ASGI
    assert server.workers == 1
