import pytest

import jsonschema_rs


def test_validation():
    schema = {"type": "object", "properties": {"n": {"type": "integer", "minimum": 1}}, "required": ["n"]}
    v = jsonschema_rs.validator_for(schema)
    assert v.is_valid({"n": 3})
    assert not v.is_valid({"n": 0})
    assert not jsonschema_rs.is_valid(schema, {})
    with pytest.raises(jsonschema_rs.ValidationError) as e:
        v.validate({"n": "x"})
    assert "integer" in str(e.value)
    assert len(list(v.iter_errors({"n": 0}))) == 1
