import pytest
from jinja2.exceptions import SecurityError, UndefinedError

from core import templates
from core.assets import asset_path, read_json


def test_assets_are_found_through_the_package():
    assert asset_path("credit", "reason_codes.json").exists()
    assert isinstance(read_json("scenarios", "presets.json"), dict)


def test_html_is_always_escaped():
    out = templates.html_template("<td>{{ name }}</td>").render(name="<script>alert(1)</script>")
    assert "<script>" not in out and "&lt;script&gt;" in out


def test_text_is_not_escaped_but_sandboxed_and_strict():
    assert templates.text_template("{{ a }} & {{ b }}").render(a="<b>", b="x") == "<b> & x"
    with pytest.raises(UndefinedError):
        templates.text_template("{{ missing }}").render()
    with pytest.raises(SecurityError):
        templates.text_template("{{ ''.__class__.__mro__[1].__subclasses__() }}").render()


def test_formatting_filters_available():
    assert templates.text_template("{{ x | pct }} {{ y | money }}").render(x=0.0854, y=1234) == "8.5% $1,234"


def test_every_html_template_renders_through_the_escaping_environment():
    env = templates.html_environment()
    assert env.autoescape is True
    names = [n for n in env.list_templates() if n.endswith((".html", ".html.j2"))]
    assert names, "no HTML templates found under assets/"
    for n in names:
        env.get_template(n)  # compiles under the escaping environment
