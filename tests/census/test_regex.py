import regex


def test_match_and_fuzzy():
    m = regex.match(r"(?P<word>\w+) (?P<num>\d+)", "abc 123")
    assert m.group("word", "num") == ("abc", "123")
    assert regex.search(r"(?:hello){e<=1}", "say helo").group() == "helo"
    assert regex.findall(r"\p{Greek}+", "abc αβγ def") == ["αβγ"]
    assert regex.sub(r"(\d)", r"<\1>", "a1b2") == "a<1>b<2>"
