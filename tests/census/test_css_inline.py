import css_inline


def test_inline():
    html = "<html><head><style>h1 { color:blue; }</style></head><body><h1>Big Text</h1></body></html>"
    out = css_inline.inline(html)
    assert '<h1 style="color: blue;">Big Text</h1>' in out
    inliner = css_inline.CSSInliner(keep_style_tags=True)
    assert "<style>" in inliner.inline(html)
    assert css_inline.inline_fragment("<p>x</p>", "p { margin: 0 }") == '<p style="margin: 0;">x</p>'
