//! The debootstrap rootfs on the host, before it becomes an image: which
//! mirror to fetch from (the host's own apt mirror), what Kiln adds to it
//! (the build user, the pacman database) and how its work directory is
//! taken down safely.

use std::path::Path;

use tokio::process::Command;

use crate::image::ImageError;

/// The host's apt mirror serving `suite` (deb822 `.sources` files and
/// `sources.list`), if any.
pub fn host_mirror(apt_dir: &Path, suite: &str) -> Option<String> {
    let mut files = vec![apt_dir.join("sources.list")];
    if let Ok(dir) = std::fs::read_dir(apt_dir.join("sources.list.d")) {
        let mut more: Vec<_> = dir
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "sources" || x == "list"))
            .collect();
        more.sort();
        files.extend(more);
    }
    files.iter().find_map(|path| {
        let text = std::fs::read_to_string(path).ok()?;
        if path.extension().is_some_and(|x| x == "sources") {
            mirror_in_deb822(&text, suite)
        } else {
            mirror_in_list(&text, suite)
        }
    })
}

fn mirror_in_deb822(text: &str, suite: &str) -> Option<String> {
    text.split("\n\n").find_map(|stanza| {
        let field = |name: &str| {
            stanza.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_string())
            })
        };
        let types = field("Types")?;
        let suites = field("Suites")?;
        if !types.split_whitespace().any(|t| t == "deb")
            || !suites.split_whitespace().any(|s| s == suite)
        {
            return None;
        }
        field("URIs")?.split_whitespace().next().map(str::to_string)
    })
}

fn mirror_in_list(text: &str, suite: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let mut words = line.split_whitespace().filter(|w| !w.starts_with('['));
        if words.next()? != "deb" {
            return None;
        }
        let uri = words.next()?;
        (words.next()? == suite).then(|| uri.to_string())
    })
}

/// Adds what builds need to the rootfs: the pacman database directory, the
/// build user `builder` (uid 1000) with its home, `/build` and `/kiln`; and
/// drops apt's caches.
pub fn prepare_rootfs(root: &Path) -> Result<(), ImageError> {
    let io = |action: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| ImageError::Io {
            action,
            path,
            source,
        }
    };
    for dir in ["var/lib/pacman", "kiln"] {
        let path = root.join(dir);
        std::fs::create_dir_all(&path).map_err(io("creating", &path))?;
    }
    let passwd = root.join("etc/passwd");
    let users = std::fs::read_to_string(&passwd).map_err(io("reading", &passwd))?;
    if !users.lines().any(|l| l.starts_with("builder:")) {
        append(
            &passwd,
            "builder:x:1000:1000:Kiln build user:/home/builder:/bin/bash\n",
        )?;
        append(&root.join("etc/group"), "builder:x:1000:\n")?;
        append(&root.join("etc/shadow"), "builder:!:20000:0:99999:7:::\n")?;
    }
    for dir in ["home/builder", "build"] {
        let path = root.join(dir);
        std::fs::create_dir_all(&path).map_err(io("creating", &path))?;
        std::os::unix::fs::chown(&path, Some(1000), Some(1000)).map_err(io("chown", &path))?;
    }
    for dir in ["var/cache/apt/archives", "var/lib/apt/lists"] {
        let path = root.join(dir);
        let Ok(entries) = std::fs::read_dir(&path) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                std::fs::remove_file(entry.path()).map_err(io("removing", &entry.path()))?;
            }
        }
    }
    Ok(())
}

fn append(path: &Path, line: &str) -> Result<(), ImageError> {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(line.as_bytes()))
        .map_err(|source| ImageError::Io {
            action: "appending to",
            path: path.to_path_buf(),
            source,
        })
}

/// Unmounts anything debootstrap left mounted below `dir` (it mounts /proc
/// and /sys while installing), so removing the directory cannot reach into
/// the host's pseudo file systems.
pub async fn unmount_below(dir: &Path) {
    let Ok(mounts) = tokio::fs::read_to_string("/proc/self/mountinfo").await else {
        return;
    };
    let mut points: Vec<&str> = mounts
        .lines()
        .filter_map(|l| l.split_whitespace().nth(4))
        .filter(|p| Path::new(p).starts_with(dir))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for point in points {
        let _ = Command::new("umount")
            .arg("--lazy")
            .arg(point)
            .status()
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_is_read_from_deb822_and_list_sources() {
        let deb822 = "Types: deb\nURIs: http://m.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\n\
                      Types: deb\nURIs: http://m.example/debian-security\nSuites: bookworm-security\n";
        assert_eq!(
            mirror_in_deb822(deb822, "bookworm").as_deref(),
            Some("http://m.example/debian")
        );
        assert_eq!(mirror_in_deb822(deb822, "trixie"), None);
        let list = "# comment\ndeb-src http://x/debian bookworm main\ndeb [arch=amd64] http://y/debian bookworm main\n";
        assert_eq!(
            mirror_in_list(list, "bookworm").as_deref(),
            Some("http://y/debian")
        );
    }

    #[test]
    fn rootfs_gets_builder_and_pacman_db() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("etc")).unwrap();
        for f in ["passwd", "group", "shadow"] {
            std::fs::write(
                root.path().join("etc").join(f),
                "root:x:0:0::/root:/bin/bash\n",
            )
            .unwrap();
        }
        prepare_rootfs(root.path()).unwrap();
        prepare_rootfs(root.path()).unwrap();
        let passwd = std::fs::read_to_string(root.path().join("etc/passwd")).unwrap();
        assert_eq!(passwd.matches("builder:x:1000:1000").count(), 1);
        assert!(root.path().join("var/lib/pacman").is_dir());
        assert!(root.path().join("build").is_dir());
    }
}
