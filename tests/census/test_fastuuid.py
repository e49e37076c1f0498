import uuid

import fastuuid


def test_uuids():
    u = fastuuid.uuid4()
    assert u.version == 4
    assert uuid.UUID(str(u)) == uuid.UUID(u.hex)
    v = fastuuid.UUID("12345678123456781234567812345678")
    assert str(v) == "12345678-1234-5678-1234-567812345678"
    assert fastuuid.uuid5(fastuuid.UUID(str(uuid.NAMESPACE_DNS)), b"python.org").hex == uuid.uuid5(uuid.NAMESPACE_DNS, "python.org").hex
    assert len(set(fastuuid.uuid4_as_strings_bulk(10))) == 10
