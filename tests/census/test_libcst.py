import libcst as cst


class Rename(cst.CSTTransformer):
    def leave_Name(self, original, updated):
        return updated.with_changes(value="y") if updated.value == "x" else updated


def test_parse_and_transform():
    src = "x = 1  # keep\nprint(x + 2)\n"
    module = cst.parse_module(src)
    assert module.code == src
    assert module.visit(Rename()).code == "y = 1  # keep\nprint(y + 2)\n"
    expr = cst.parse_expression("a[1:2]")
    assert isinstance(expr, cst.Subscript)
