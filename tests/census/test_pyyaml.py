import yaml


def test_c_loader_and_dumper():
    assert yaml.__with_libyaml__
    doc = yaml.load("a: [1, 2.5, x]\nb: {c: null}\n", Loader=yaml.CSafeLoader)
    assert doc == {"a": [1, 2.5, "x"], "b": {"c": None}}
    assert yaml.dump({"k": [1, 2]}, Dumper=yaml.CSafeDumper) == "k:\n- 1\n- 2\n"
