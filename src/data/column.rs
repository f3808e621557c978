//! [`Column`]: a read-only column of numbers, either owned or a slice of a
//! memory-mapped cache file (no copy, no decode).

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// A column of plain numbers (`f64`, `u32`, …) that derefs to `&[T]`.
///
/// The loader builds owned columns; the binary cache hands out slices of
/// its memory-mapped files (`data::cache`), so a cached bundle is used
/// where it lies in the page cache, without being read into new memory.
/// Compares, prints and clones like the slice it holds (a mapped clone
/// shares the map).
#[derive(Clone)]
pub struct Column<T: bytemuck::Pod>(Repr<T>);

#[derive(Clone)]
enum Repr<T> {
    Owned(Vec<T>),
    /// `len` values at byte `offset` of `map` (aligned for `T`, checked
    /// when made).
    Mapped {
        map: Arc<memmap2::Mmap>,
        offset: usize,
        len: usize,
    },
}

impl<T: bytemuck::Pod> Column<T> {
    /// The `len` values at byte `offset` of `map`; None when that range is
    /// not inside the map or not aligned for `T`.
    pub(crate) fn mapped(map: Arc<memmap2::Mmap>, offset: usize, len: usize) -> Option<Self> {
        let bytes = len.checked_mul(std::mem::size_of::<T>())?;
        let slice = map.get(offset..offset.checked_add(bytes)?)?;
        bytemuck::try_cast_slice::<u8, T>(slice).ok()?;
        Some(Column(Repr::Mapped { map, offset, len }))
    }

    /// True when the values are a slice of a mapped file (not copied).
    pub fn is_mapped(&self) -> bool {
        matches!(self.0, Repr::Mapped { .. })
    }

    /// The values as an owned vector (a copy when mapped).
    pub fn into_vec(self) -> Vec<T> {
        match self.0 {
            Repr::Owned(v) => v,
            Repr::Mapped { .. } => self.to_vec(),
        }
    }
}

impl<T: bytemuck::Pod> Deref for Column<T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        match &self.0 {
            Repr::Owned(v) => v,
            Repr::Mapped { map, offset, len } => {
                let bytes = &map[*offset..*offset + len * std::mem::size_of::<T>()];
                bytemuck::cast_slice(bytes)
            }
        }
    }
}

impl<T: bytemuck::Pod> AsRef<[T]> for Column<T> {
    fn as_ref(&self) -> &[T] {
        self
    }
}

impl<T: bytemuck::Pod> From<Vec<T>> for Column<T> {
    fn from(v: Vec<T>) -> Self {
        Column(Repr::Owned(v))
    }
}

impl<T: bytemuck::Pod> Default for Column<T> {
    fn default() -> Self {
        Column(Repr::Owned(Vec::new()))
    }
}

impl<T: bytemuck::Pod + fmt::Debug> fmt::Debug for Column<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: bytemuck::Pod + PartialEq, U: AsRef<[T]> + ?Sized> PartialEq<U> for Column<T> {
    fn eq(&self, other: &U) -> bool {
        **self == *other.as_ref()
    }
}

impl<'a, T: bytemuck::Pod> IntoIterator for &'a Column<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_column_mapped_reads_the_file_bytes_and_checks_range_and_alignment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.bin");
        let values = [1.5f64, -2.25, 1e300];
        let mut bytes = vec![0u8; 8];
        for v in values {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        std::fs::write(&path, &bytes).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        // SAFETY: the test owns the file and does not change it while mapped.
        let map = Arc::new(unsafe { memmap2::Mmap::map(&file) }.unwrap());
        let c = Column::<f64>::mapped(map.clone(), 8, 3).unwrap();
        if cfg!(target_endian = "little") {
            assert_eq!(c, values);
            assert_eq!(c.clone().into_vec(), values.to_vec());
        }
        assert!(
            Column::<f64>::mapped(map.clone(), 8, 4).is_none(),
            "past the end"
        );
        assert!(
            Column::<f64>::mapped(map.clone(), 4, 1).is_none(),
            "misaligned"
        );
        assert_eq!(Column::from(vec![1u32, 2]), [1u32, 2]);
    }
}
