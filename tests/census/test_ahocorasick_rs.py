from ahocorasick_rs import AhoCorasick, MatchKind


def test_find_matches():
    ac = AhoCorasick(["he", "she", "his", "hers"])
    assert ac.find_matches_as_strings("ushers") == ["she"]
    assert ac.find_matches_as_indexes("ushers") == [(1, 1, 4)]
    lm = AhoCorasick(["abc", "abcd"], matchkind=MatchKind.LeftmostLongest)
    assert lm.find_matches_as_strings("xabcdx") == ["abcd"]
