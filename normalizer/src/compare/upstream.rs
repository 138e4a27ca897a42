//! Upstream locations reduced to a form both traditions share, so that the
//! same release or repository is recognised however each side spells it.
//!
//! A URL is reduced by dropping the scheme, `www.`, VCS prefixes and
//! fragments, `.git` suffixes and trailing slashes, expanding the common
//! `mirror://` schemes Guix uses to the hosts Arch recipes name, folding
//! GitHub's archive URL variants, and replacing the version with `{v}`.

/// Hosts that Guix's `mirror://NAME/` expands to first, as Arch recipes
/// usually write them.
const MIRRORS: &[(&str, &str)] = &[
    ("gnu", "ftp.gnu.org/gnu/"),
    ("gnupg", "gnupg.org/ftp/gcrypt/"),
    ("savannah", "download.savannah.gnu.org/releases/"),
    ("sourceforge", "downloads.sourceforge.net/"),
    ("kernel.org", "kernel.org/pub/"),
    ("xorg", "xorg.freedesktop.org/releases/"),
    ("gnome", "download.gnome.org/"),
    ("apache", "archive.apache.org/dist/"),
    ("cpan", "cpan.metacpan.org/"),
    ("cran", "cran.r-project.org/src/contrib/"),
    ("hackage", "hackage.haskell.org/"),
    ("kde", "download.kde.org/"),
    ("pypi", "files.pythonhosted.org/packages/source/"),
    ("debian", "deb.debian.org/debian/"),
];

/// Reduces a URL (or a makepkg source entry) to its comparable form.
pub fn reduce_url(url: &str, version: Option<&str>) -> String {
    let mut u = url.trim();
    if let Some((_, rest)) = u.split_once("::") {
        if !rest.is_empty() && !u.starts_with("mirror") {
            u = rest;
        }
    }
    let u = u.split(['#', '?']).next().unwrap_or(u);
    let mut s = String::new();
    if let Some(rest) = u.strip_prefix("mirror://") {
        let (name, path) = rest.split_once('/').unwrap_or((rest, ""));
        match MIRRORS.iter().find(|(n, _)| *n == name) {
            Some((_, host)) => {
                s.push_str(host);
                s.push_str(path);
            }
            None => s.push_str(rest),
        }
    } else {
        let without_vcs = ["git+", "hg+", "svn+", "bzr+", "fossil+"]
            .iter()
            .find_map(|p| u.strip_prefix(p))
            .unwrap_or(u);
        let host_and_path = without_vcs
            .split_once("://")
            .map_or(without_vcs, |(_, r)| r);
        s.push_str(host_and_path);
    }
    let mut s = s.to_ascii_lowercase();
    if let Some(rest) = s.strip_prefix("www.") {
        s = rest.to_owned();
    }
    for (from, to) in [
        ("ftpmirror.gnu.org/", "ftp.gnu.org/gnu/"),
        ("ftp.gnu.org/pub/gnu/", "ftp.gnu.org/gnu/"),
        ("/archive/refs/tags/", "/archive/"),
        (
            "downloads.sourceforge.net/project/",
            "downloads.sourceforge.net/",
        ),
        (
            "pypi.io/packages/source/",
            "files.pythonhosted.org/packages/source/",
        ),
        (
            "pypi.org/packages/source/",
            "files.pythonhosted.org/packages/source/",
        ),
    ] {
        s = s.replace(from, to);
    }
    while s.ends_with('/') {
        s.pop();
    }
    if let Some(rest) = s.strip_suffix(".git") {
        s = rest.to_owned();
    }
    if let Some(v) = version.filter(|v| !v.is_empty()) {
        s = s.replace(&v.to_ascii_lowercase(), "{v}");
    }
    s
}

/// The repository a URL points into, for hosts with `owner/name` paths
/// (GitHub, GitLab, Codeberg, sourcehut): `github.com/owner/name`.
pub fn repository_of(url: &str) -> Option<String> {
    let reduced = reduce_url(url, None);
    let mut parts = reduced.split('/');
    let host = parts.next()?;
    if !matches!(
        host,
        "github.com" | "gitlab.com" | "codeberg.org" | "git.sr.ht" | "bitbucket.org"
    ) {
        return None;
    }
    let owner = parts.next().filter(|p| !p.is_empty())?;
    let name = parts.next().filter(|p| !p.is_empty())?;
    Some(format!("{host}/{owner}/{name}"))
}

/// Reduces a home page for comparison: scheme, `www.` and trailing slash go.
pub fn reduce_home_page(url: &str) -> String {
    reduce_url(url, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_release_spelled_two_ways() {
        let arch = reduce_url(
            "https://ftp.gnu.org/gnu/hello/hello-2.10.tar.gz",
            Some("2.10"),
        );
        let guix = reduce_url("mirror://gnu/hello/hello-2.10.tar.gz", Some("2.10"));
        assert_eq!(arch, guix);
        assert_eq!(arch, "ftp.gnu.org/gnu/hello/hello-{v}.tar.gz");
    }

    #[test]
    fn github_archive_variants_and_git_sources() {
        assert_eq!(
            reduce_url(
                "https://github.com/o/r/archive/refs/tags/v1.2.tar.gz",
                Some("1.2")
            ),
            reduce_url(
                "foo-1.2.tar.gz::https://github.com/o/r/archive/v1.2.tar.gz",
                Some("1.2")
            )
        );
        assert_eq!(
            repository_of("git+https://github.com/O/r.git#tag=v1"),
            Some("github.com/o/r".into())
        );
        assert_eq!(
            repository_of("https://github.com/o/r"),
            Some("github.com/o/r".into())
        );
        assert_eq!(repository_of("https://example.org/x"), None);
    }

    #[test]
    fn home_pages_ignore_scheme_and_www() {
        assert_eq!(
            reduce_home_page("http://www.zlib.net/"),
            reduce_home_page("https://zlib.net")
        );
    }
}
