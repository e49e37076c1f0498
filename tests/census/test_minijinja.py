import pytest

from minijinja import Environment, TemplateError


def test_render():
    env = Environment(templates={"hello": "Hello {{ name }}!{% for i in items %} {{ i * 2 }}{% endfor %}"})
    assert env.render_template("hello", name="World", items=[1, 2]) == "Hello World! 2 4"
    assert env.render_str("{{ x|upper }}", x="abc") == "ABC"
    env.add_filter("rev", lambda s: s[::-1])
    assert env.render_str("{{ 'abc'|rev }}") == "cba"
    with pytest.raises(TemplateError):
        env.render_str("{% if %}")
