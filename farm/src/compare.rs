//! Matching the same software across origins in the whole store, and the
//! summary `kiln compare --all` prints.
//!
//! Candidates for an Arch recipe are looked up in an index of the Guix
//! recipes by every kind of evidence — the sha256 of a source file, the
//! reduced upstream URL or repository, the home page, the names under the
//! two ecosystems' conventions — and each candidate is judged with
//! [`kiln_normalizer::compare::compare`]; the one with the strongest
//! evidence wins.

use std::collections::{BTreeMap, HashMap};

use kiln_normalizer::compare::{
    compare, reduce_home_page, reduce_url, repository_of, Comparison, Evidence, NameMap, Verdict,
};
use kiln_normalizer::{Checksum, ChecksumKind, Origin, Recipe};
use serde::Serialize;

use crate::store::{Store, StoreError, StoredRecipe};

/// The Guix recipes of the store, indexed by every kind of evidence.
pub struct GuixIndex {
    recipes: Vec<StoredRecipe>,
    by_sha256: HashMap<String, Vec<usize>>,
    by_url: HashMap<String, Vec<usize>>,
    by_home_page: HashMap<String, Vec<usize>>,
    by_name: HashMap<String, Vec<usize>>,
}

fn sha256s(r: &Recipe) -> impl Iterator<Item = String> + '_ {
    r.base
        .checksums
        .get(&ChecksumKind::Sha256)
        .into_iter()
        .flat_map(|p| p.iter_all())
        .filter_map(|c| match c {
            Checksum::Digest(d) => Some(d.to_ascii_lowercase()),
            Checksum::Skip => None,
        })
}

fn url_keys(r: &Recipe) -> Vec<String> {
    let mut keys = Vec::new();
    for s in r.base.source.iter_all().filter(|s| !s.is_local()) {
        keys.push(reduce_url(s.as_str(), r.pkgver.as_deref()));
        keys.extend(repository_of(s.as_str()));
    }
    keys
}

impl GuixIndex {
    /// Indexes the current Guix recipes of `store`.
    pub fn build(store: &Store) -> Result<Self, StoreError> {
        Ok(Self::from_recipes(
            store.current_recipes(Some(Origin::Guix))?,
        ))
    }

    /// Indexes the given Guix recipes.
    pub fn from_recipes(recipes: Vec<StoredRecipe>) -> Self {
        let mut idx = Self {
            recipes,
            by_sha256: HashMap::new(),
            by_url: HashMap::new(),
            by_home_page: HashMap::new(),
            by_name: HashMap::new(),
        };
        for (i, stored) in idx.recipes.iter().enumerate() {
            let r = &stored.recipe;
            for sha in sha256s(r) {
                idx.by_sha256.entry(sha).or_default().push(i);
            }
            for key in url_keys(r) {
                idx.by_url.entry(key).or_default().push(i);
            }
            if let Some(home) = &r.base.url {
                idx.by_home_page
                    .entry(reduce_home_page(home))
                    .or_default()
                    .push(i);
            }
            idx.by_name.entry(r.pkgbase.clone()).or_default().push(i);
        }
        idx
    }

    /// Number of Guix recipes indexed.
    pub fn len(&self) -> usize {
        self.recipes.len()
    }

    /// Whether no Guix recipe is indexed.
    pub fn is_empty(&self) -> bool {
        self.recipes.is_empty()
    }

    /// The best Guix counterpart of `arch`, with the comparison.
    pub fn best_match(
        &self,
        arch: &Recipe,
        names: &dyn NameMap,
    ) -> Option<(&StoredRecipe, Comparison)> {
        let mut candidates: Vec<usize> = Vec::new();
        for sha in sha256s(arch) {
            candidates.extend(self.by_sha256.get(&sha).into_iter().flatten());
        }
        for key in url_keys(arch) {
            candidates.extend(self.by_url.get(&key).into_iter().flatten());
        }
        if let Some(home) = &arch.base.url {
            candidates.extend(
                self.by_home_page
                    .get(&reduce_home_page(home))
                    .into_iter()
                    .flatten(),
            );
        }
        let own_names = std::iter::once(arch.pkgbase.as_str())
            .chain(arch.packages.iter().map(|p| p.name.as_str()));
        for n in own_names {
            for g in names.arch_to_guix(n) {
                candidates.extend(self.by_name.get(&g).into_iter().flatten());
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .map(|i| {
                (
                    &self.recipes[i],
                    compare(arch, &self.recipes[i].recipe, names),
                )
            })
            .filter(|(_, c)| !c.evidence.is_empty())
            // Strongest first evidence, then more evidence, then a newer Guix
            // version (a module often keeps older versions beside the current).
            .min_by(|(_, a), (_, b)| {
                a.evidence[0]
                    .rank()
                    .cmp(&b.evidence[0].rank())
                    .then(b.evidence.len().cmp(&a.evidence.len()))
                    .then_with(|| {
                        let (va, vb) = (
                            a.versions.guix.as_deref().unwrap_or(""),
                            b.versions.guix.as_deref().unwrap_or(""),
                        );
                        kiln_normalizer::guix_version::guix_version_cmp(vb, va)
                    })
            })
    }
}

/// The whole-store comparison.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ComparisonSummary {
    /// Arch recipes looked at.
    pub arch_recipes: usize,
    /// Guix recipes indexed.
    pub guix_recipes: usize,
    /// Pairs found.
    pub matched: usize,
    /// Pairs by the strongest evidence that tied them.
    pub by_evidence: BTreeMap<String, usize>,
    /// Pairs by verdict.
    pub by_verdict: BTreeMap<String, usize>,
    /// Version drift by newer side and size (`arch/minor` ...).
    pub drift: BTreeMap<String, usize>,
    /// Pairs where vercmp and Guix's order disagree.
    pub orders_disagree: usize,
    /// The most divergent pairs, most first.
    pub most_divergent: Vec<Comparison>,
    /// Every pair.
    pub pairs: Vec<Comparison>,
}

/// How far apart a pair is, for ranking the most divergent.
fn divergence(c: &Comparison) -> usize {
    let d = &c.dependencies;
    let verdict = match c.verdict {
        Verdict::Divergent => 100,
        Verdict::VersionDrift => 50,
        _ => 0,
    };
    verdict + d.only_arch.len() + d.only_guix.len() + usize::from(!c.licenses.same_family) * 10
}

/// Compares every Arch recipe of the store with its best Guix counterpart.
pub fn compare_all(
    store: &Store,
    names: &dyn NameMap,
    top: usize,
) -> Result<ComparisonSummary, StoreError> {
    let index = GuixIndex::build(store)?;
    let arch = store.current_recipes(Some(Origin::Arch))?;
    let mut summary = ComparisonSummary {
        arch_recipes: arch.len(),
        guix_recipes: index.len(),
        ..Default::default()
    };
    for a in &arch {
        let Some((_, c)) = index.best_match(&a.recipe, names) else {
            continue;
        };
        summary.matched += 1;
        *summary
            .by_evidence
            .entry(c.evidence[0].kind().to_owned())
            .or_default() += 1;
        *summary
            .by_verdict
            .entry(c.verdict.as_str().to_owned())
            .or_default() += 1;
        if let Some(d) = &c.versions.drift {
            *summary
                .drift
                .entry(format!("{} newer, {}", d.newer, d.size))
                .or_default() += 1;
        }
        summary.orders_disagree += usize::from(c.versions.orders_disagree);
        summary.pairs.push(c);
    }
    let mut ranked: Vec<&Comparison> = summary.pairs.iter().collect();
    ranked.sort_by_key(|c| std::cmp::Reverse(divergence(c)));
    summary.most_divergent = ranked.into_iter().take(top).cloned().collect();
    Ok(summary)
}

/// The best Arch counterpart of the Guix recipe `guix`: Arch recipes with
/// the same source file, then those its name maps to.
pub fn arch_counterpart(
    store: &Store,
    guix: &Recipe,
    names: &dyn NameMap,
) -> Result<Option<(StoredRecipe, Comparison)>, StoreError> {
    let mut candidates = Vec::new();
    for sha in sha256s(guix) {
        for m in store.recipes_with_sha256(&sha)? {
            if m.origin == Origin::Arch && !candidates.contains(&m.recipe) {
                candidates.push(m.recipe);
            }
        }
    }
    for n in names.guix_to_arch(&guix.pkgbase) {
        if !candidates.contains(&n) {
            candidates.push(n);
        }
    }
    let mut best: Option<(StoredRecipe, Comparison)> = None;
    for candidate in candidates {
        let Some(arch) = store.recipe_by_name(Some(Origin::Arch), &candidate)? else {
            continue;
        };
        let c = compare(&arch.recipe, guix, names);
        let Some(rank) = c.evidence.first().map(Evidence::rank) else {
            continue;
        };
        if best
            .as_ref()
            .is_none_or(|(_, b)| rank < b.evidence[0].rank())
        {
            best = Some((arch, c));
        }
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use kiln_normalizer::compare::SameNames;
    use kiln_normalizer::{srcinfo, GuixDetails, PerArch, Source};

    use super::*;
    use crate::store::{content_hash, ImportKind, Provenance};

    const SHA: &str = "31e066137a962676e89f69d1b65382de95a7ef7d914b8cb956f41ea72e0f516b";

    fn guix(name: &str, version: &str, sha: &str, home: &str) -> Recipe {
        let mut r = Recipe::new(Origin::Guix, name);
        r.pkgver = Some(version.into());
        r.base.url = Some(home.into());
        r.base.source.all = Some(vec![Source::new(format!(
            "mirror://gnu/{name}/{name}-{version}.tar.gz"
        ))
        .unwrap()]);
        r.base.checksums.insert(
            ChecksumKind::Sha256,
            PerArch {
                all: Some(vec![Checksum::Digest(sha.into())]),
                per_arch: Default::default(),
            },
        );
        r.guix = Some(GuixDetails::default());
        r
    }

    #[test]
    fn whole_store_comparison_pairs_by_strongest_evidence() {
        let mut store = Store::open_in_memory().unwrap();
        let run = store
            .begin_import_run(ImportKind::Dir, "test", None)
            .unwrap();
        let arch = srcinfo::parse(&format!(
            "pkgbase = hello\n\tpkgver = 2.10\n\tpkgrel = 1\n\turl = https://www.gnu.org/software/hello/\n\tarch = x86_64\n\
             \tsource = https://ftp.gnu.org/gnu/hello/hello-2.10.tar.gz\n\tsha256sums = {SHA}\n\npkgname = hello\n"
        ))
        .unwrap();
        let lonely = srcinfo::parse(
            "pkgbase = lonely\n\tpkgver = 1\n\tpkgrel = 1\n\tarch = any\n\npkgname = lonely\n",
        )
        .unwrap();
        let same = guix("hello", "2.10", SHA, "https://www.gnu.org/software/hello/");
        let older = guix(
            "hello",
            "2.9",
            &"0".repeat(64),
            "https://www.gnu.org/software/hello/",
        );
        let mut older = older;
        older.pkgbase = "hello-old".into();
        for r in [&arch, &lonely, &same, &older] {
            let p = Provenance::default();
            store
                .upsert_recipe(run, r, &p, &content_hash(r.pkgbase.as_bytes()))
                .unwrap();
        }
        let s = compare_all(&store, &SameNames, 5).unwrap();
        assert_eq!((s.arch_recipes, s.guix_recipes, s.matched), (2, 2, 1));
        assert_eq!(s.by_evidence.get("same-source-file"), Some(&1));
        assert_eq!(s.pairs[0].guix_name, "hello");
        assert_eq!(s.by_verdict.get("identical"), Some(&1), "{:#?}", s.pairs[0]);
    }
}
