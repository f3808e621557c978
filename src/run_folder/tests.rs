//! Tests of the run folder: reading its CSV files back.

use super::*;

#[test]
fn test_read_dated_table_empty_cell_is_nan_and_bad_cell_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("nav.csv");
    std::fs::write(&p, "date,nav,cost\n2020-01-02,1,\n2020-01-03,1.5,0.25\n").unwrap();
    let t = read_dated_table(&p, &["nav"]).unwrap();
    assert_eq!(t.dates, vec!["2020-01-02", "2020-01-03"]);
    assert_eq!(t.values("nav").unwrap(), vec![1.0, 1.5]);
    assert!(t.rows[0][1].is_nan());
    std::fs::write(&p, "date,nav\n2020-01-02,1\n2020-01-03,x\n").unwrap();
    let e = read_dated_table(&p, &["nav"]).unwrap_err().to_string();
    assert!(e.contains("nav.csv:3:2 (column `nav`)"), "{e}");
    let e = read_dated_table(&p, &["cost"]).unwrap_err().to_string();
    assert!(e.contains("missing column `cost`"), "{e}");
}

#[test]
fn test_read_holdings_counts_counts_positive_quantities_per_date() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("positions.csv");
    std::fs::write(
        &p,
        "date,symbol,quantity,raw_shares,price,value,weight\n\
         2020-01-02,A,10,10,1,10,0.5\n2020-01-02,B,10,10,1,10,0.5\n\
         2020-01-03,A,0,0,1,0,0\n2020-01-03,B,5,5,1,5,1\n",
    )
    .unwrap();
    let expected = vec![("2020-01-02".to_owned(), 2), ("2020-01-03".to_owned(), 1)];
    assert_eq!(read_holdings_counts(&p).unwrap(), expected);
}
