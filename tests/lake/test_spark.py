

def test_a_large_arrow_table_goes_through_a_parquet_file_that_is_removed_on_close():
    rows = spark.LOCAL_ROWS + 1
    big = pa.table({"n": pa.array(range(rows), pa.int64())})
    with engine.session(engine="spark", tables={"big": big}) as s:
        folder = s.con.folder
        assert folder is not None
        assert s.table("SELECT count(*) AS c, sum(n) AS total FROM big").to_pylist() == \
            [{"c": rows, "total": rows * (rows - 1) // 2}]
    import os

    assert not os.path.exists(folder)
