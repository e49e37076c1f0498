import json
import re

from outlines_core.json_schema import build_regex_from_schema


def test_regex_from_schema():
    schema = {"type": "object", "properties": {"age": {"type": "integer"}}, "required": ["age"]}
    pattern = build_regex_from_schema(json.dumps(schema))
    assert re.fullmatch(pattern, '{"age":42}')
    assert not re.fullmatch(pattern, '{"age":"x"}')
