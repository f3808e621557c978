//! One bad bundle per validation class (fixtures/bad/<case>/): each fails
//! before simulating with an error naming file, line and column, snapshotted.

use crate::common::root;

#[test]
fn test_bad_input_each_case_fails_with_location() {
    std::env::set_current_dir(root()).unwrap();
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
