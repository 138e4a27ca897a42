//! `kiln.toml`: the farm's configuration — engine endpoints with their
//! slots, the build image, limits, retries, the web server. Every key is
//! optional; an absent file means one local engine with two slots.

use std::path::{Path, PathBuf};
use std::time::Duration;

use kiln_workers::{ImageSpec, Limits};
use serde::Deserialize;

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The coordinator.
    pub farm: FarmConfig,
    /// The build image.
    pub image: ImageSpec,
    /// Docker engines builds run on.
    pub endpoints: Vec<EndpointConfig>,
    /// Per-build limits.
    pub limits: LimitsConfig,
    /// The dashboard and API.
    pub web: WebConfig,
}

/// `[farm]`
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FarmConfig {
    /// How long a lease lasts without renewal, in seconds.
    pub lease_secs: i64,
    /// Attempts before an infrastructure failure fails the build.
    pub max_attempts: i64,
    /// Backoff before the first retry, in seconds (doubled per attempt).
    pub retry_backoff_secs: i64,
    /// Download remote sources missing from the source store.
    pub allow_download: bool,
    /// How often the queue is polled, in milliseconds.
    pub poll_millis: u64,
}

impl Default for FarmConfig {
    fn default() -> Self {
        FarmConfig {
            lease_secs: 120,
            max_attempts: 3,
            retry_backoff_secs: 30,
            allow_download: true,
            poll_millis: 500,
        }
    }
}

/// `[[endpoints]]`: a Docker engine.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointConfig {
    /// Its name in build records.
    pub name: String,
    /// `unix:///var/run/docker.sock`, `tcp://host:2375`, or
    /// `https://host:2376` with `tls`.
    pub url: String,
    /// Builds at once.
    #[serde(default = "default_slots")]
    pub slots: usize,
    /// Client certificate, key and CA for `https://` endpoints.
    pub tls: Option<TlsConfig>,
}

fn default_slots() -> usize {
    2
}

/// TLS files of an endpoint.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// Client key (PEM).
    pub key: PathBuf,
    /// Client certificate (PEM).
    pub cert: PathBuf,
    /// CA certificate (PEM).
    pub ca: PathBuf,
}

/// `[limits]`
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Memory, in MiB.
    pub memory_mib: i64,
    /// CPUs (fractions allowed).
    pub cpus: f64,
    /// Processes.
    pub pids: i64,
    /// Wall-clock limit, in seconds.
    pub wall_clock_secs: u64,
    /// Log-silence limit, in seconds.
    pub silence_secs: u64,
    /// Log cap, in KiB (head and tail kept).
    pub log_cap_kib: usize,
    /// Artifact cap, in MiB.
    pub artifact_cap_mib: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        let d = Limits::default();
        LimitsConfig {
            memory_mib: d.memory_bytes >> 20,
            cpus: d.nano_cpus as f64 / 1e9,
            pids: d.pids,
            wall_clock_secs: d.wall_clock.as_secs(),
            silence_secs: d.silence.as_secs(),
            log_cap_kib: d.log_cap_bytes >> 10,
            artifact_cap_mib: d.artifact_cap_bytes >> 20,
        }
    }
}

impl LimitsConfig {
    /// The executor's limits.
    pub fn limits(&self) -> Limits {
        Limits {
            memory_bytes: self.memory_mib << 20,
            nano_cpus: (self.cpus * 1e9) as i64,
            pids: self.pids,
            wall_clock: Duration::from_secs(self.wall_clock_secs),
            silence: Duration::from_secs(self.silence_secs),
            log_cap_bytes: self.log_cap_kib << 10,
            artifact_cap_bytes: self.artifact_cap_mib << 20,
            ..Limits::default()
        }
    }
}

/// `[web]`
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    /// Address to listen on.
    pub address: String,
    /// Token for POST endpoints (else `$KILN_TOKEN`).
    pub token: Option<String>,
    /// Whether read endpoints need the token too.
    pub protect_reads: bool,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            address: "127.0.0.1:8080".into(),
            token: None,
            protect_reads: false,
        }
    }
}

/// A configuration file that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Unreadable.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Not valid TOML or not Kiln's keys (the message names line and column).
    #[error("{path}: {source}")]
    Toml {
        /// The file.
        path: String,
        /// The cause.
        source: Box<toml::de::Error>,
    },
}

impl Config {
    /// Reads `path`; a missing file is the default configuration.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => {
                return Err(ConfigError::Io {
                    path: path.display().to_string(),
                    source,
                })
            }
        };
        Self::parse(&text, &path.display().to_string())
    }

    /// Reads configuration text.
    pub fn parse(text: &str, path: &str) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|e| ConfigError::Toml {
            path: path.to_owned(),
            source: Box::new(e),
        })?;
        if config.endpoints.is_empty() {
            config.endpoints.push(EndpointConfig {
                name: "local".into(),
                url: "unix:///var/run/docker.sock".into(),
                slots: default_slots(),
                tls: None,
            });
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_reads_and_an_empty_one_is_one_local_engine() {
        let example = include_str!("../../kiln.toml.example");
        let c = Config::parse(example, "kiln.toml.example").unwrap();
        assert_eq!(c.endpoints.len(), 2);
        assert_eq!(c.endpoints[0].slots, 2);
        let empty = Config::parse("", "kiln.toml").unwrap();
        assert_eq!(empty.endpoints[0].url, "unix:///var/run/docker.sock");
        assert_eq!(empty.web.address, "127.0.0.1:8080");
    }

    #[test]
    fn an_unknown_key_names_its_line() {
        let err = Config::parse("[farm]\nlease_secs = 10\nleese = 3\n", "kiln.toml").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("kiln.toml") && msg.contains("line 3"), "{msg}");
    }
}
