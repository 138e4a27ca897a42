//! The tar archives that cross the container boundary: the upload of a
//! job's files into the container, and the download of its packages, which
//! is untrusted and checked entry by entry before anything is kept.

use std::io::{Cursor, Read};
use std::path::{Component, Path};

use sha2::{Digest, Sha256};

use crate::executor::{Artifact, BuildJob, JobFile};

/// The script the container runs (see `entry.sh`).
pub const ENTRY_SCRIPT: &str = include_str!("entry.sh");

/// Where the entry script asks makepkg to write packages.
pub const OUT_DIR: &str = "/kiln/out";

/// uid and gid of the unprivileged build user.
const BUILDER_ID: u64 = 1000;

/// Checks that `path` is relative, non-empty and stays below its base.
fn check_relative(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("empty file path".into());
    }
    let p = Path::new(path);
    if !p.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(format!(
            "file path {path:?} must be relative without `.` or `..`"
        ));
    }
    Ok(())
}

/// Builds the tar uploaded to `/` of a build container: `build/` with the
/// job's files (owned by the build user), `kiln/entry.sh` and
/// `kiln/install/` with the dependency packages.
pub fn upload_tar(job: &BuildJob) -> Result<Vec<u8>, String> {
    let mut tar = tar::Builder::new(Vec::new());
    let mut dirs = std::collections::BTreeSet::new();
    add_dir(&mut tar, "build/", BUILDER_ID)?;
    add_dir(&mut tar, "kiln/", 0)?;
    add_dir(&mut tar, "kiln/install/", 0)?;
    add_file(&mut tar, "kiln/entry.sh", 0o755, 0, ENTRY_SCRIPT.as_bytes())?;
    for file in &job.files {
        check_relative(&file.path)?;
        let mut parent = Path::new(&file.path).parent();
        let mut missing = Vec::new();
        while let Some(dir) = parent.filter(|d| !d.as_os_str().is_empty()) {
            if dirs.insert(dir.to_path_buf()) {
                missing.push(dir.to_path_buf());
            }
            parent = dir.parent();
        }
        for dir in missing.iter().rev() {
            add_dir(&mut tar, &format!("build/{}/", dir.display()), BUILDER_ID)?;
        }
        add_file(
            &mut tar,
            &format!("build/{}", file.path),
            file.mode & 0o777,
            BUILDER_ID,
            &file.data,
        )?;
    }
    for package in &job.install {
        check_package_name(&package.path)?;
        add_file(
            &mut tar,
            &format!("kiln/install/{}", package.path),
            0o644,
            0,
            &package.data,
        )?;
    }
    tar.into_inner()
        .map_err(|e| format!("writing upload archive: {e}"))
}

fn check_package_name(name: &str) -> Result<(), String> {
    if name.contains('/') || name.starts_with('.') || !name.contains(".pkg.tar") {
        return Err(format!(
            "package file name {name:?} must be a plain `*.pkg.tar*` name"
        ));
    }
    Ok(())
}

fn header(kind: tar::EntryType, mode: u32, owner: u64, size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_uid(owner);
    header.set_gid(owner);
    header.set_size(size);
    header.set_mtime(0);
    header
}

fn add_dir(tar: &mut tar::Builder<Vec<u8>>, path: &str, owner: u64) -> Result<(), String> {
    let mut h = header(tar::EntryType::Directory, 0o755, owner, 0);
    tar.append_data(&mut h, path, std::io::empty())
        .map_err(|e| format!("adding {path} to upload archive: {e}"))
}

fn add_file(
    tar: &mut tar::Builder<Vec<u8>>,
    path: &str,
    mode: u32,
    owner: u64,
    data: &[u8],
) -> Result<(), String> {
    let mut h = header(tar::EntryType::Regular, mode, owner, data.len() as u64);
    tar.append_data(&mut h, path, data)
        .map_err(|e| format!("adding {path} to upload archive: {e}"))
}

/// Reads the tar of [`OUT_DIR`] downloaded from a container: only regular
/// `*.pkg.tar*` files directly inside `out/`, at most `cap` bytes in all.
/// Returns each package with its sha256 and file list.
pub fn read_artifacts(download: &[u8], cap: u64) -> Result<Vec<Artifact>, String> {
    let mut archive = tar::Archive::new(Cursor::new(download));
    let mut artifacts = Vec::new();
    let mut total = 0u64;
    let entries = archive
        .entries()
        .map_err(|e| format!("reading artifact archive: {e}"))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("reading artifact archive: {e}"))?;
        let path = entry
            .path()
            .map_err(|e| format!("artifact entry path: {e}"))?
            .into_owned();
        let shown = path.display().to_string();
        let parts: Vec<_> = path.components().collect();
        if !parts.iter().all(|c| matches!(c, Component::Normal(_))) {
            return Err(format!("unsafe path {shown:?} in artifact archive"));
        }
        match entry.header().entry_type() {
            tar::EntryType::Directory if parts.len() == 1 => continue,
            tar::EntryType::Regular if parts.len() == 2 => {}
            kind => {
                return Err(format!(
                    "unexpected {kind:?} entry {shown:?} in artifact archive"
                ))
            }
        }
        let name = parts[1].as_os_str().to_string_lossy().into_owned();
        check_package_name(&name)?;
        let size = entry.header().size().map_err(|e| format!("{shown}: {e}"))?;
        total += size;
        if total > cap {
            return Err(format!("artifacts exceed the cap of {cap} bytes"));
        }
        let mut data = Vec::with_capacity(size as usize);
        entry
            .read_to_end(&mut data)
            .map_err(|e| format!("reading {shown}: {e}"))?;
        let files = package_files(&name, &data)?;
        artifacts.push(Artifact {
            sha256: hex::encode(Sha256::digest(&data)),
            size,
            name,
            data,
            files,
        });
    }
    artifacts.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(artifacts)
}

/// Lists the paths inside a package archive, without its metadata files.
pub fn package_files(name: &str, data: &[u8]) -> Result<Vec<String>, String> {
    let reader: Box<dyn Read + '_> = if name.ends_with(".pkg.tar.zst") {
        Box::new(zstd::Decoder::new(data).map_err(|e| format!("reading package {name}: {e}"))?)
    } else if name.ends_with(".pkg.tar") {
        Box::new(data)
    } else {
        return Err(format!(
            "package {name}: only .pkg.tar.zst and .pkg.tar can be read"
        ));
    };
    let mut archive = tar::Archive::new(reader);
    let mut files = Vec::new();
    let entries = archive
        .entries()
        .map_err(|e| format!("reading package {name}: {e}"))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("reading package {name}: {e}"))?;
        let path = entry
            .path()
            .map_err(|e| format!("package {name}: entry path: {e}"))?;
        let mut path = path.to_string_lossy().trim_start_matches("./").to_string();
        if path.is_empty() || (path.starts_with('.') && !path.contains('/')) {
            continue;
        }
        if entry.header().entry_type().is_dir() && !path.ends_with('/') {
            path.push('/');
        }
        files.push(path);
    }
    Ok(files)
}

/// Reads the job's files from a recipe directory on disk (not recursive:
/// recipe directories are flat), with their modes.
pub fn files_from_dir(dir: &Path) -> std::io::Result<Vec<JobFile>> {
    use std::os::unix::fs::PermissionsExt;
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        if !meta.is_file() {
            continue;
        }
        files.push(JobFile {
            path: entry.file_name().to_string_lossy().into_owned(),
            mode: meta.permissions().mode() & 0o7777,
            data: std::fs::read(entry.path())?,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_of(entries: &[(&str, tar::EntryType, &[u8])]) -> Vec<u8> {
        let mut tar = tar::Builder::new(Vec::new());
        for (path, kind, data) in entries {
            let mut h = header(*kind, 0o644, 0, data.len() as u64);
            if *kind == tar::EntryType::Symlink {
                h.set_size(0);
                tar.append_link(&mut h, path, "/etc/passwd").unwrap();
            } else {
                tar.append_data(&mut h, path, *data).unwrap();
            }
        }
        tar.into_inner().unwrap()
    }

    fn package(files: &[&str]) -> Vec<u8> {
        let mut entries: Vec<(&str, tar::EntryType, &[u8])> =
            vec![(".PKGINFO", tar::EntryType::Regular, b"pkgname = x\n")];
        for f in files {
            let kind = if f.ends_with('/') {
                tar::EntryType::Directory
            } else {
                tar::EntryType::Regular
            };
            entries.push((f, kind, b""));
        }
        zstd::encode_all(&tar_of(&entries)[..], 3).unwrap()
    }

    #[test]
    fn packages_are_read_with_hash_and_file_list() {
        let pkg = package(&["usr/", "usr/lib/", "usr/lib/libx.so.1"]);
        let out = tar_of(&[
            ("out/", tar::EntryType::Directory, b""),
            (
                "out/x-1-1-x86_64.pkg.tar.zst",
                tar::EntryType::Regular,
                &pkg,
            ),
        ]);
        let artifacts = read_artifacts(&out, 1 << 20).unwrap();
        assert_eq!(artifacts.len(), 1);
        assert_eq!(artifacts[0].size, pkg.len() as u64);
        assert_eq!(artifacts[0].sha256, hex::encode(Sha256::digest(&pkg)));
        assert_eq!(
            artifacts[0].files,
            vec!["usr/", "usr/lib/", "usr/lib/libx.so.1"]
        );
    }

    #[test]
    fn links_and_nested_paths_are_rejected() {
        let link = tar_of(&[("out/x.pkg.tar.zst", tar::EntryType::Symlink, b"")]);
        assert!(read_artifacts(&link, 1 << 20)
            .unwrap_err()
            .contains("Symlink"));
        let nested = tar_of(&[("out/a/x.pkg.tar", tar::EntryType::Regular, b"")]);
        assert!(read_artifacts(&nested, 1 << 20).is_err());
        let other = tar_of(&[("out/notes.txt", tar::EntryType::Regular, b"hi")]);
        assert!(read_artifacts(&other, 1 << 20).is_err());
    }

    #[test]
    fn parent_paths_are_rejected() {
        // tar::Builder refuses to write `..`, so write the name by hand.
        let mut h = header(tar::EntryType::Regular, 0o644, 0, 0);
        h.as_gnu_mut().unwrap().name[..20].copy_from_slice(b"../x.pkg.tar.zst\0\0\0\0");
        h.set_cksum();
        let mut raw = h.as_bytes().to_vec();
        raw.extend_from_slice(&[0; 1024]);
        assert!(read_artifacts(&raw, 1 << 20)
            .unwrap_err()
            .contains("unsafe path"));
    }

    #[test]
    fn size_cap_is_enforced() {
        let pkg = package(&["usr/bin/x"]);
        let out = tar_of(&[("out/x.pkg.tar.zst", tar::EntryType::Regular, &pkg)]);
        let err = read_artifacts(&out, 10).unwrap_err();
        assert!(err.contains("exceed the cap"), "{err}");
    }

    #[test]
    fn job_paths_must_stay_in_build_dir() {
        assert!(check_relative("PKGBUILD").is_ok());
        assert!(check_relative("patches/fix.patch").is_ok());
        for bad in ["", "/etc/passwd", "../x", "a/../../x", "./x"] {
            assert!(check_relative(bad).is_err(), "{bad}");
        }
        assert!(check_package_name("a-1-1-any.pkg.tar.zst").is_ok());
        assert!(check_package_name("../a.pkg.tar.zst").is_err());
    }
}
