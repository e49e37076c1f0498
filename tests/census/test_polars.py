import polars as pl


def test_dataframe():
    df = pl.DataFrame({"k": ["a", "b", "a"], "v": [1, 2, 3]})
    assert df.shape == (3, 2)
    assert df.select(pl.col("v").sum()).item() == 6
    g = df.group_by("k").agg(pl.col("v").sum()).sort("k")
    assert g.to_dict(as_series=False) == {"k": ["a", "b"], "v": [4, 2]}
    assert df.filter(pl.col("v") > 1)["k"].to_list() == ["b", "a"]
    lazy = df.lazy().with_columns((pl.col("v") * 10).alias("w")).collect()
    assert lazy["w"].to_list() == [10, 20, 30]
