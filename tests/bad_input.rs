//! One bad bundle per validation class (fixtures/bad/<case>/): each fails
//! before simulating with an error naming file, line and column, snapshotted.

use crate::common::root;

#[test]
fn test_bad_input_each_case_fails_with_location() {
    std::env::set_current_dir(root()).unwrap();
    // The "both bars.csv and bars.csv.gz" case needs a .gz beside the .csv; it is
    // made here from the .csv (a committed .csv.gz would look like market data).
    let both = std::path::Path::new("fixtures/bad/both_csv_and_gz");
    let gz = both.join("bars.csv.gz");
    if !gz.exists() {
        use std::io::Write;
        let csv = std::fs::read(both.join("bars.csv")).expect("the case's bars.csv");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&csv).unwrap();
        // Written under a temporary name and renamed: parallel test runs never see half a file.
        let tmp = both.join(format!("bars.csv.gz.{}", std::process::id()));
        std::fs::write(&tmp, enc.finish().unwrap()).unwrap();
        std::fs::rename(&tmp, &gz).unwrap();
    }
    let mut cases: Vec<String> = std::fs::read_dir("fixtures/bad")
        .expect("fixtures/bad")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    assert!(cases.len() >= 12, "one case per class: {cases:?}");
    for case in cases {
        let dir = std::path::PathBuf::from("fixtures/bad").join(&case);
        let err = alphasim::data::load_market(&dir, &Default::default())
            .expect_err(&case)
            .to_string();
        assert!(
            err.contains(&format!("fixtures/bad/{case}")),
            "{case}: the file is named: {err}"
        );
        insta::assert_snapshot!(format!("bad_{case}"), err);
    }
}
