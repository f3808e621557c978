//! Which files a bundle folder holds (`NAME.csv`, `NAME.csv.gz` or
//! `NAME.parquet`; two forms of one table is an error) and how a file is
//! named in messages.

use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// The files a bundle may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum FileKind {
    Bars,
    Constituents,
    Industries,
    Benchmark,
    Factors,
    Fundamentals,
    IndexWeights,
}

impl FileKind {
    pub(crate) const ALL: [FileKind; 7] = [
        FileKind::Bars,
        FileKind::Constituents,
        FileKind::Industries,
        FileKind::Benchmark,
        FileKind::Factors,
        FileKind::Fundamentals,
        FileKind::IndexWeights,
    ];

    pub(crate) fn stem(self) -> &'static str {
        match self {
            FileKind::Bars => "bars",
            FileKind::Constituents => "constituents",
            FileKind::Industries => "industries",
            FileKind::Benchmark => "benchmark",
            FileKind::Factors => "factors",
            FileKind::Fundamentals => "fundamentals",
            FileKind::IndexWeights => "index_weights",
        }
    }
}

/// The bundle's files that exist, `bars` first.
pub(crate) fn locate_files(dir: &Path) -> Result<Vec<(FileKind, PathBuf)>> {
    if !dir.is_dir() {
        let message = if dir.exists() {
            "is not a folder".to_owned()
        } else {
            "data folder not found".to_owned()
        };
        return Err(Error::File {
            file: dir.to_path_buf(),
            message,
            fix: "pass the folder that holds bars.csv (or bars.csv.gz) and the other bundle files"
                .to_owned(),
        });
    }
    let mut found = Vec::new();
    for kind in FileKind::ALL {
        let plain = dir.join(format!("{}.csv", kind.stem()));
        let gz = dir.join(format!("{}.csv.gz", kind.stem()));
        let parquet = dir.join(format!("{}.parquet", kind.stem()));
        let present: Vec<&PathBuf> = [&plain, &gz, &parquet]
            .into_iter()
            .filter(|p| p.is_file())
            .collect();
        match present.as_slice() {
            [one] => found.push((kind, (*one).clone())),
            [] if kind == FileKind::Bars => {
                return Err(Error::File {
                    file: plain,
                    message: "required file missing: the bundle has neither bars.csv nor bars.csv.gz"
                        .to_owned(),
                    fix: "add bars.csv (columns date,symbol,open,high,low,close,volume) or point to the right folder"
                        .to_owned(),
                })
            }
            [] => {}
            [a, b] if *a == &plain && *b == &gz => {
                return Err(Error::File {
                    file: plain,
                    message: format!(
                        "both {0}.csv and {0}.csv.gz are present, so it is unclear which to read",
                        kind.stem()
                    ),
                    fix: format!("remove one of {0}.csv and {0}.csv.gz", kind.stem()),
                })
            }
            several => {
                let names: Vec<String> = several.iter().map(|p| file_name(p)).collect();
                return Err(Error::File {
                    file: several[0].clone(),
                    message: format!(
                        "{} are all present: one table in two forms, so it is unclear which to read",
                        names.join(" and ")
                    ),
                    fix: format!(
                        "keep one of {} (after `alphasim convert`, move the CSV files away or write the Parquet bundle to its own folder)",
                        names.join(" and ")
                    ),
                });
            }
        }
    }
    Ok(found)
}

pub(crate) fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
