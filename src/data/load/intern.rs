//! Symbol and name interning: chunk-local tables while parsing, merged in name
//! order, then global symbol ids for every file.

use super::location::Fault;
use crate::data::{Interner, SymbolId};
use hashbrown::HashMap;
use std::collections::BTreeSet;

/// Chunk-local interning of names (symbols, index names, …).
#[derive(Default)]
pub(super) struct LocalNames {
    map: HashMap<Box<[u8]>, u32>,
    names: Vec<Box<[u8]>>,
    last: Option<u32>,
}

impl LocalNames {
    #[inline]
    pub(super) fn id(&mut self, b: &[u8], col: usize, what: &str) -> Result<u32, Fault> {
        if let Some(last) = self.last {
            if *self.names[last as usize] == *b {
                return Ok(last);
            }
        }
        let id = match self.map.get(b) {
            Some(&id) => id,
            None => {
                if b.is_empty() {
                    return Err(Fault::new(
                        col,
                        b,
                        format!("empty {what}"),
                        format!("every row needs a {what}"),
                    ));
                }
                if std::str::from_utf8(b).is_err() {
                    return Err(Fault::new(
                        col,
                        b,
                        format!("the {what} is not valid UTF-8"),
                        "save the file as UTF-8",
                    ));
                }
                let id = self.names.len() as u32;
                self.names.push(b.into());
                self.map.insert(b.into(), id);
                id
            }
        };
        self.last = Some(id);
        Ok(id)
    }
}

/// Merges chunk-local name tables: the sorted distinct names, and per chunk a
/// map from local id to index into them.
pub(super) fn merge_names<'a>(
    locals: impl Iterator<Item = &'a LocalNames>,
) -> (Vec<String>, Vec<Vec<u32>>) {
    let locals: Vec<&LocalNames> = locals.collect();
    let mut all: Vec<&[u8]> = locals
        .iter()
        .flat_map(|l| l.names.iter().map(|n| &**n))
        .collect();
    all.sort_unstable();
    all.dedup();
    let index: HashMap<&[u8], u32> = all
        .iter()
        .enumerate()
        .map(|(i, n)| (*n, i as u32))
        .collect();
    let maps = locals
        .iter()
        .map(|l| l.names.iter().map(|n| index[&**n]).collect())
        .collect();
    let names = all
        .into_iter()
        .map(|n| String::from_utf8(n.to_vec()).expect("names are checked to be UTF-8"))
        .collect();
    (names, maps)
}

/// Names used by one file, and its rows' ids into them.
pub(super) struct FileSymbols {
    pub(super) names: Vec<String>,
    /// File-level id → global symbol id (filled by [`resolve_symbols`]).
    pub(super) global: Vec<SymbolId>,
}

/// Gives every symbol of the other files a global id: bars symbols keep theirs,
/// the rest are interned in name order; one warning per file that names them.
pub(super) fn resolve_symbols(
    symbols: &mut Interner,
    files: &mut [(String, &mut FileSymbols)],
    warnings: &mut Vec<String>,
) {
    let extra: BTreeSet<&str> = files
        .iter()
        .flat_map(|(_, f)| f.names.iter().map(String::as_str))
        .filter(|n| symbols.get(n).is_none())
        .collect();
    let extra: Vec<String> = extra.into_iter().map(str::to_owned).collect();
    for name in &extra {
        symbols.intern(name);
    }
    let bars_count = symbols.len() - extra.len();
    for (file, f) in files.iter_mut() {
        f.global = f
            .names
            .iter()
            .map(|n| SymbolId(symbols.get(n).expect("interned above")))
            .collect();
        let missing: Vec<&str> = f
            .names
            .iter()
            .zip(&f.global)
            .filter(|(_, id)| id.index() >= bars_count)
            .map(|(n, _)| n.as_str())
            .collect();
        match missing.len() {
            0 => {}
            1 => warnings.push(format!(
                "symbol {} in {file} never trades (it has no row in bars)",
                missing[0]
            )),
            k => {
                let shown: Vec<&str> = missing.iter().take(5).copied().collect();
                let more = if k > 5 {
                    format!(", and {} more", k - 5)
                } else {
                    String::new()
                };
                warnings.push(format!(
                    "{k} symbols in {file} never trade (they have no row in bars): {}{more}",
                    shown.join(", ")
                ));
            }
        }
    }
}
