//! All-or-nothing output: a folder of results ([`publish_folder`]) and single files
//! ([`write_file_atomically`]).
//!
//! A folder is written into a staging folder beside it (`.NAME.staging-PID`), each file
//! synced, with `MANIFEST.json` last (every file, its size and SHA-256, and the run's
//! inputs); then the staging folder is renamed into place and the previous folder, if any,
//! removed. A reader therefore sees the old folder, no folder, or the new one — never a mix,
//! and files of an earlier run that this run does not write are gone. A lock file beside
//! the folder (`.NAME.lock`, holding the writer's process id) makes a second run into the
//! same folder fail with a clear error instead of interleaving; a lock left by a process
//! that no longer exists is taken over. Any error removes the staging folder and names the
//! file.
//!
//! A folder is only replaced when it is empty, has a `MANIFEST.json`, or holds nothing but
//! names nearhome writes: pointing `--out` at a folder of other files is refused, so a run
//! never deletes a user's files.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Name of the manifest written last into every output folder.
pub const MANIFEST: &str = "MANIFEST.json";

/// Why an output folder or file could not be published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// A file or folder could not be written, renamed or removed.
    #[error("writing {path}: {cause}")]
    Write {
        /// The file or folder.
        path: String,
        /// The cause (in the message; not chained, so it is said once).
        cause: std::io::Error,
    },
    /// Another run holds the folder's lock.
    #[error(
        "{folder} is being written by another run (process {pid}, lock file {lock}); wait for \
         it to finish, or remove the lock file if no such run exists"
    )]
    Locked {
        /// The output folder.
        folder: String,
        /// The lock file.
        lock: String,
        /// The process id recorded in it.
        pid: String,
    },
    /// The folder holds files nearhome did not write.
    #[error(
        "{folder} already holds files nearhome did not write (e.g. {example}); choose a new or \
         empty folder (nearhome replaces its output folder as a whole)"
    )]
    Foreign {
        /// The output folder.
        folder: String,
        /// One of the foreign entries.
        example: String,
    },
    /// The manifest could not be encoded.
    #[error("encoding {MANIFEST}: {0}")]
    Manifest(String),
}

/// One file of a manifest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManifestEntry {
    /// Path inside the folder, `/`-separated.
    pub file: String,
    /// Size, bytes.
    pub bytes: u64,
    /// SHA-256 of the contents, lower-case hex.
    pub sha256: String,
}

/// `MANIFEST.json`: what a run wrote and from what.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Manifest {
    /// The nearhome version that wrote the folder.
    pub nearhome: &'static str,
    /// The command, e.g. `analyse`.
    pub command: String,
    /// The run's inputs as `(name, value)`: scenario file, extracts, flags.
    pub inputs: Vec<(String, String)>,
    /// Every file of the folder but the manifest, in write order.
    pub files: Vec<ManifestEntry>,
}

fn write_err(path: &Path) -> impl FnOnce(std::io::Error) -> PublishError + '_ {
    move |cause| PublishError::Write {
        path: path.display().to_string(),
        cause,
    }
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// A sibling of `path` named `.NAME.SUFFIX` (hidden, same folder, so renames stay on one
/// file system).
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    parent.join(format!(".{name}.{suffix}"))
}

/// The lock on an output folder; released (file removed) on drop.
struct Lock {
    path: PathBuf,
}

impl Lock {
    fn take(folder: &Path) -> Result<Lock, PublishError> {
        let path = sibling(folder, "lock");
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(write_err(parent))?;
        }
        for _ in 0..2 {
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    f.write_all(std::process::id().to_string().as_bytes())
                        .map_err(write_err(&path))?;
                    return Ok(Lock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let pid = fs::read_to_string(&path).unwrap_or_default();
                    let pid = pid.trim().to_string();
                    if holder_is_gone(&pid) {
                        // a run killed before it could release the lock
                        let _ = fs::remove_file(&path);
                        continue;
                    }
                    return Err(PublishError::Locked {
                        folder: folder.display().to_string(),
                        lock: path.display().to_string(),
                        pid,
                    });
                }
                Err(e) => return Err(write_err(&path)(e)),
            }
        }
        Err(PublishError::Locked {
            folder: folder.display().to_string(),
            lock: path.display().to_string(),
            pid: "unknown".into(),
        })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// True when the lock's process id names no running process (Linux: no `/proc/PID`). On
/// other systems, or with an unreadable id, the holder is assumed alive.
fn holder_is_gone(pid: &str) -> bool {
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    if pid == std::process::id() {
        return false;
    }
    let proc = Path::new("/proc");
    proc.is_dir() && !proc.join(pid.to_string()).exists()
}

/// The staging folder; removed on drop unless published.
struct Staging {
    path: PathBuf,
    published: bool,
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.published {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// Writes `bytes` to `path` and syncs it to disk.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), PublishError> {
    let mut f = fs::File::create(path).map_err(write_err(path))?;
    f.write_all(bytes).map_err(write_err(path))?;
    f.sync_all().map_err(write_err(path))
}

/// Every name nearhome writes into an output folder (`analyse`, `site`): a folder holding
/// only these (an output of an earlier version, without a manifest) may be replaced.
const OUTPUT_NAMES: [&str; 17] = [
    "README.txt",
    "pupils.csv",
    "moves.csv",
    "candidates.csv",
    "areas.csv",
    "summary.json",
    "provisions.geojson",
    "areas.geojson",
    "journeys.geojson",
    "moves.geojson",
    "public/",
    "sites.csv",
    "proposals.csv",
    "capital.csv",
    "sites.geojson",
    "report.md",
    MANIFEST,
];

/// Refuses a folder holding entries nearhome did not write (see the module docs).
fn check_replaceable(folder: &Path, known: &[&str]) -> Result<(), PublishError> {
    let Ok(entries) = fs::read_dir(folder) else {
        return Ok(()); // missing (or unreadable: the rename will say)
    };
    if folder.join(MANIFEST).is_file() {
        return Ok(());
    }
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let ours = known
            .iter()
            .any(|k| *k == name || k.split('/').next() == Some(name.as_str()) && k.contains('/'));
        if !ours {
            return Err(PublishError::Foreign {
                folder: folder.display().to_string(),
                example: name,
            });
        }
    }
    Ok(())
}

/// Publishes `files` (`(path inside the folder, bytes)`, `/`-separated) as the folder
/// `folder`, all or nothing (see the module docs), with a manifest of `command` and
/// `inputs`. Returns the names written, the manifest last.
///
/// # Errors
/// [`PublishError`] naming the file, the lock holder, or a foreign file; nothing is left
/// half-written.
pub fn publish_folder(
    folder: &Path,
    files: Vec<(String, Vec<u8>)>,
    command: &str,
    inputs: Vec<(String, String)>,
) -> Result<Vec<String>, PublishError> {
    let _lock = Lock::take(folder)?;
    let known: Vec<&str> = files
        .iter()
        .map(|(n, _)| n.as_str())
        .chain(OUTPUT_NAMES)
        .collect();
    check_replaceable(folder, &known)?;
    let mut staging = Staging {
        path: sibling(folder, &format!("staging-{}", std::process::id())),
        published: false,
    };
    let _ = fs::remove_dir_all(&staging.path);
    fs::create_dir_all(&staging.path).map_err(write_err(&staging.path))?;
    for (name, _) in &files {
        if let Some(dir) = staging.path.join(name).parent() {
            fs::create_dir_all(dir).map_err(write_err(dir))?;
        }
    }
    // each file written, synced and hashed on its own thread: the big journey lines' sync
    // overlaps the other files' work
    let entries = files
        .par_iter()
        .map(|(name, bytes)| {
            let path = staging.path.join(name);
            write_synced(&path, bytes).map_err(|e| rename_in_error(e, &staging.path, folder))?;
            Ok(ManifestEntry {
                file: name.clone(),
                bytes: bytes.len() as u64,
                sha256: sha256_hex(bytes),
            })
        })
        .collect::<Result<Vec<_>, PublishError>>()?;
    let manifest = Manifest {
        nearhome: env!("CARGO_PKG_VERSION"),
        command: command.to_string(),
        inputs,
        files: entries,
    };
    let mut text =
        serde_json::to_vec_pretty(&manifest).map_err(|e| PublishError::Manifest(e.to_string()))?;
    text.push(b'\n');
    let manifest_path = staging.path.join(MANIFEST);
    write_synced(&manifest_path, &text).map_err(|e| rename_in_error(e, &staging.path, folder))?;
    swap_into_place(&staging.path, folder)?;
    staging.published = true;
    let mut written: Vec<String> = files.into_iter().map(|(n, _)| n).collect();
    written.push(MANIFEST.to_string());
    Ok(written)
}

/// An error about a staged file, reported under the folder the user named.
fn rename_in_error(e: PublishError, staging: &Path, folder: &Path) -> PublishError {
    match e {
        PublishError::Write { path, cause } => PublishError::Write {
            path: path.replacen(
                &staging.display().to_string(),
                &folder.display().to_string(),
                1,
            ),
            cause,
        },
        other => other,
    }
}

/// Moves the old folder aside, the staged one into place, then removes the old one.
fn swap_into_place(staged: &Path, folder: &Path) -> Result<(), PublishError> {
    let old = sibling(folder, &format!("old-{}", std::process::id()));
    let had_old = folder.exists();
    if had_old {
        let _ = fs::remove_dir_all(&old);
        fs::rename(folder, &old).map_err(write_err(folder))?;
    }
    if let Err(e) = fs::rename(staged, folder) {
        if had_old {
            // put the previous results back rather than leave nothing
            let _ = fs::rename(&old, folder);
        }
        return Err(write_err(folder)(e));
    }
    if had_old {
        let _ = fs::remove_dir_all(&old);
    }
    sync_parent(folder);
    Ok(())
}

/// Syncs the folder holding `path`, so the rename itself survives a crash (best effort).
fn sync_parent(path: &Path) {
    if let Some(parent) = path.parent() {
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        if let Ok(d) = fs::File::open(parent) {
            let _ = d.sync_all();
        }
    }
}

/// Writes one file all or nothing: `write` fills a temporary file beside `path`
/// (`.NAME.tmp-PID`), which is synced and renamed over `path`. On any error the temporary
/// file is removed, `path` keeps its previous contents, and the error names `path`.
///
/// # Errors
/// [`PublishError::Write`] naming `path`.
pub fn write_file_atomically<T>(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<fs::File>) -> std::io::Result<T>,
) -> Result<T, PublishError> {
    if fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        // a device or pipe (e.g. /dev/stdout): written in place, never renamed over
        return write_in_place(path, write);
    }
    let tmp = sibling(path, &format!("tmp-{}", std::process::id()));
    let result = (|| {
        let file = fs::File::create(&tmp)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
        let value = write(&mut w)?;
        let file = w
            .into_inner()
            .map_err(std::io::IntoInnerError::into_error)?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        Ok(value)
    })();
    match result {
        Ok(v) => {
            sync_parent(path);
            Ok(v)
        }
        Err(cause) => {
            let _ = fs::remove_file(&tmp);
            Err(PublishError::Write {
                path: path.display().to_string(),
                cause,
            })
        }
    }
}

/// Writes straight into an existing non-regular file (a device or a pipe).
fn write_in_place<T>(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<fs::File>) -> std::io::Result<T>,
) -> Result<T, PublishError> {
    let result = (|| {
        let file = fs::OpenOptions::new().write(true).open(path)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
        let value = write(&mut w)?;
        w.flush()?;
        Ok(value)
    })();
    result.map_err(|cause| PublishError::Write {
        path: path.display().to_string(),
        cause,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(n: usize) -> Vec<(String, Vec<u8>)> {
        (0..n)
            .map(|i| (format!("f{i}.csv"), format!("row {i}\n").into_bytes()))
            .chain([("public/p.csv".to_string(), b"p\n".to_vec())])
            .collect()
    }

    #[test]
    fn a_folder_is_replaced_whole_with_a_manifest() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        publish_folder(
            &out,
            files(3),
            "analyse",
            vec![("scenario".into(), "s".into())],
        )
        .unwrap();
        assert!(out.join("f2.csv").is_file());
        // a second run writing fewer files leaves none of the first run's extras
        let written = publish_folder(&out, files(1), "analyse", vec![]).unwrap();
        assert_eq!(written, ["f0.csv", "public/p.csv", MANIFEST]);
        assert!(!out.join("f2.csv").exists());
        let manifest: serde_json::Value =
            serde_json::from_slice(&fs::read(out.join(MANIFEST)).unwrap()).unwrap();
        assert_eq!(manifest["files"][0]["file"], "f0.csv");
        assert_eq!(manifest["files"][0]["bytes"], 6);
        assert_eq!(manifest["files"][0]["sha256"], sha256_hex(b"row 0\n"));
        // nothing is left beside it: no lock, no staging, no old folder
        let left: Vec<String> = fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, ["out"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_held_lock_refuses_a_second_run_and_a_stale_one_is_taken_over() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let lock = sibling(&out, "lock");
        // held by a live process (this one's parent is alive; use our own pid's parent)
        let live = std::os::unix::process::parent_id();
        fs::write(&lock, live.to_string()).unwrap();
        let e = publish_folder(&out, files(1), "analyse", vec![]).unwrap_err();
        assert!(matches!(e, PublishError::Locked { .. }), "{e}");
        assert!(e.to_string().contains(&live.to_string()), "{e}");
        assert!(!out.exists(), "nothing written while locked");
        // a lock of a process that no longer exists is taken over
        fs::write(&lock, "4194999").unwrap();
        publish_folder(&out, files(1), "analyse", vec![]).unwrap();
        assert!(out.join("f0.csv").is_file());
        assert!(!lock.exists());
    }

    #[test]
    fn a_folder_of_other_files_is_never_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("mine");
        fs::create_dir_all(&out).unwrap();
        fs::write(out.join("thesis.docx"), b"precious").unwrap();
        let e = publish_folder(&out, files(1), "analyse", vec![]).unwrap_err();
        assert!(e.to_string().contains("thesis.docx"), "{e}");
        assert_eq!(fs::read(out.join("thesis.docx")).unwrap(), b"precious");
        // a folder holding only names this run writes (an older output) is replaced
        let old = tmp.path().join("old");
        fs::create_dir_all(old.join("public")).unwrap();
        fs::write(old.join("f0.csv"), b"stale").unwrap();
        publish_folder(&old, files(1), "analyse", vec![]).unwrap();
        assert_eq!(fs::read(old.join("f0.csv")).unwrap(), b"row 0\n");
    }

    #[test]
    fn a_failed_write_leaves_the_previous_folder_and_names_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        publish_folder(&out, files(2), "analyse", vec![]).unwrap();
        // a name that cannot be created (a file where a folder is needed)
        let bad = vec![
            ("f0.csv".to_string(), b"new\n".to_vec()),
            ("f0.csv/x.csv".to_string(), b"x".to_vec()),
        ];
        let e = publish_folder(&out, bad, "analyse", vec![]).unwrap_err();
        assert!(e.to_string().contains("out"), "{e}");
        assert_eq!(fs::read(out.join("f0.csv")).unwrap(), b"row 0\n");
        assert!(out.join("f1.csv").is_file());
        let left = fs::read_dir(tmp.path()).unwrap().count();
        assert_eq!(left, 1, "staging folder and lock removed");
    }

    #[test]
    fn a_single_file_is_replaced_or_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("m.csv");
        fs::write(&path, b"old\n").unwrap();
        let e = write_file_atomically(&path, |w| {
            w.write_all(b"half")?;
            Err::<(), _>(std::io::Error::other("disk full"))
        })
        .unwrap_err();
        assert!(e.to_string().contains("m.csv") && e.to_string().contains("disk full"));
        assert_eq!(fs::read(&path).unwrap(), b"old\n");
        assert_eq!(
            fs::read_dir(tmp.path()).unwrap().count(),
            1,
            "no temporary left"
        );
        write_file_atomically(&path, |w| w.write_all(b"new\n")).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new\n");
    }
}
