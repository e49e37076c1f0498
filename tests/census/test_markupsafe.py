from markupsafe import Markup, escape


def test_escape():
    import markupsafe

    # The C speedups, not the pure-Python fallback.
    assert markupsafe._escape_inner.__module__ == "markupsafe._speedups"
    assert escape("<a href='x'>&</a>") == Markup("&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;")
    assert Markup("<b>%s</b>") % "<i>" == "<b>&lt;i&gt;</b>"
    assert escape(Markup("<ok>")) == "<ok>"
