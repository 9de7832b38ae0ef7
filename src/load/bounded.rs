//! Reading whole input files with a size limit, so a wrong path (`/dev/zero`, a log that
//! keeps growing, a disk image) fails with a clear error instead of hanging or exhausting
//! memory.

use std::io::Read;
use std::path::Path;

/// Largest `scenario.toml` (or token file) read: 1 MiB.
pub const MAX_TOML_BYTES: u64 = 1 << 20;

/// Largest CSV or GeoJSON input read whole: 1 GiB (a national postcode table is ~0.3 GiB).
pub const MAX_TABLE_BYTES: u64 = 1 << 30;

/// Largest OpenStreetMap PBF read whole: 8 GiB (England is ~1.5 GiB).
pub const MAX_PBF_BYTES: u64 = 8 << 30;

/// Reads `path` whole, refusing more than `limit` bytes: the error (kind `InvalidData`)
/// says the limit, so it reads "reading FILE: larger than 1 MiB ...".
///
/// # Errors
/// The OS error, or `InvalidData` when the file holds more than `limit` bytes.
pub fn read_bounded(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let hint = file
        .metadata()
        .ok()
        .filter(std::fs::Metadata::is_file)
        .map_or(0, |m| m.len());
    if hint > limit {
        return Err(too_large(limit));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(limit));
    }
    Ok(bytes)
}

/// [`read_bounded`] as UTF-8 text.
///
/// # Errors
/// As [`read_bounded`], or `InvalidData` when the bytes are not UTF-8.
pub fn read_to_string_bounded(path: &Path, limit: u64) -> std::io::Result<String> {
    let bytes = read_bounded(path, limit)?;
    String::from_utf8(bytes).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "not UTF-8 text (save it as UTF-8)",
        )
    })
}

fn too_large(limit: u64) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!(
            "larger than {} MiB, the most nearhome reads of such a file (is this the right file?)",
            limit >> 20
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_file_is_refused_at_the_limit() {
        if Path::new("/dev/zero").exists() {
            let e = read_bounded(Path::new("/dev/zero"), 4096).unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
            assert!(e.to_string().contains("larger than"), "{e}");
        }
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("a.toml");
        std::fs::write(&p, "x = 1\n").unwrap();
        assert_eq!(read_to_string_bounded(&p, 6).unwrap(), "x = 1\n");
        assert!(read_bounded(&p, 5).is_err());
        std::fs::write(&p, [0xff, 0xfe]).unwrap();
        assert!(read_to_string_bounded(&p, 10)
            .unwrap_err()
            .to_string()
            .contains("UTF-8"));
    }
}
