//! Kiln's build executors: an executor takes a build job and returns a build
//! report with its log stream. The Docker executor runs each build in a fresh
//! container through the Docker Engine API, with the network off.
//!
//! Executors know nothing of the store: they exchange the same job and report
//! types a worker on another host would.
