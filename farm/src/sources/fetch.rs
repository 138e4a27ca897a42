//! Getting sources from the network: HTTP(S) downloads into the store, and
//! git repositories mirrored bare with libgit2. Both run only where the
//! network allows and the caller asked for downloads.

use std::path::PathBuf;

use git2::{FetchOptions, Repository};
use kiln_normalizer::Source;

use super::{SourceError, SourceStore, StoredSource};

/// Largest download accepted (4 GiB).
const MAX_DOWNLOAD: u64 = 4 << 30;

/// Downloads `url` (http, https or file) into the store.
pub(super) fn download(store: &SourceStore, url: &str) -> Result<StoredSource, SourceError> {
    let err = |reason: String| SourceError::Download {
        url: url.to_owned(),
        reason,
    };
    if let Some(path) = url.strip_prefix("file://") {
        return Ok(store.add_file(std::path::Path::new(path))?.0);
    }
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(err(
            "only http, https and file URLs are downloaded; add the file with `kiln sources add`"
                .into(),
        ));
    }
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(600)))
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .provider(ureq::tls::TlsProvider::NativeTls)
                .build(),
        )
        .build();
    let agent = ureq::Agent::new_with_config(config);
    let response = agent.get(url).call().map_err(|e| err(e.to_string()))?;
    let reader = response
        .into_body()
        .into_with_config()
        .limit(MAX_DOWNLOAD)
        .reader();
    Ok(store.add_reader(reader)?.0)
}

/// Mirrors a git source bare under `ROOT/git/`, fetching when allowed; an
/// existing mirror is used as it is when downloads are off.
pub(super) fn mirror_git(
    store: &SourceStore,
    src: &Source,
    allow_download: bool,
) -> Result<PathBuf, SourceError> {
    let url = src.url();
    let key: u64 = url.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let dir = store
        .root()
        .join("git")
        .join(format!("{}-{key:016x}", src.file_name()));
    let git_err = |source| SourceError::Git {
        url: url.to_owned(),
        source,
    };
    let exists = dir.join("HEAD").exists();
    if !allow_download {
        return if exists {
            Ok(dir)
        } else {
            Err(SourceError::Missing {
                file: src.file_name().to_owned(),
                url: url.to_owned(),
                reason: "downloads are off and no mirror of this repository exists".into(),
            })
        };
    }
    let repo = if exists {
        Repository::open_bare(&dir).map_err(git_err)?
    } else {
        let repo = Repository::init_bare(&dir).map_err(git_err)?;
        repo.remote_with_fetch("origin", url, "+refs/*:refs/*")
            .map_err(git_err)?;
        repo
    };
    let mut remote = repo.find_remote("origin").map_err(git_err)?;
    let mut opts = FetchOptions::new();
    opts.download_tags(git2::AutotagOption::All);
    remote
        .fetch(
            &["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"],
            Some(&mut opts),
            None,
        )
        .map_err(git_err)?;
    Ok(dir)
}
