//! Recipes: search, the recipe page (both origins side by side where a
//! counterpart is found, the comparison verdict and its evidence, the
//! translation into the other format, build history) and the comparison
//! summary of the whole store.

use axum::extract::{Path, Query, State};
use kiln_farm::compare::{arch_counterpart, compare_all, ComparisonSummary, GuixIndex};
use kiln_farm::store::{Build, BuildFilter, SearchHit, StoredRecipe};
use kiln_normalizer::compare::Comparison;
use kiln_normalizer::emit::{guix, pkgbuild};
use kiln_normalizer::mapping::Mappings;
use kiln_normalizer::Origin;
use maud::{html, Markup};
use serde::Deserialize;

use super::builds::builds_table;
use super::layout::page;
use crate::error::{PageError, WebError};
use crate::state::AppState;

/// Query of the recipe search.
#[derive(Debug, Deserialize, Default)]
pub struct RecipeQuery {
    /// Words.
    pub q: Option<String>,
    /// `arch` or `guix`.
    pub origin: Option<String>,
}

/// Reads an origin from a path or query.
pub fn parse_origin(s: &str) -> Result<Origin, WebError> {
    match s {
        "arch" => Ok(Origin::Arch),
        "guix" => Ok(Origin::Guix),
        _ => Err(WebError::BadRequest(format!("unknown origin {s:?}"))),
    }
}

/// A search hit as JSON.
#[derive(Debug, serde::Serialize)]
pub struct Hit {
    /// Origin.
    pub origin: Origin,
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Description.
    pub description: Option<String>,
}

impl From<SearchHit> for Hit {
    fn from(h: SearchHit) -> Self {
        Hit {
            origin: h.origin,
            name: h.name,
            version: h.version,
            description: h.description,
        }
    }
}

/// Searches recipes.
pub async fn search_recipes(state: &AppState, q: RecipeQuery) -> Result<Vec<Hit>, WebError> {
    let origin = q
        .origin
        .as_deref()
        .filter(|o| !o.is_empty())
        .map(parse_origin)
        .transpose()?;
    let words = q.q.unwrap_or_default();
    state
        .with_store(move |s| {
            Ok(s.search(&words, origin, 100)?
                .into_iter()
                .map(Hit::from)
                .collect())
        })
        .await
}

/// `GET /recipes?q=`
pub async fn search(
    State(state): State<AppState>,
    Query(q): Query<RecipeQuery>,
) -> Result<Markup, PageError> {
    let words = q.q.clone().unwrap_or_default();
    let origin = q.origin.clone().unwrap_or_default();
    let hits = search_recipes(&state, q).await?;
    Ok(page(
        "Recipes",
        html! {
            h1 { "Recipes" }
            form.search method="get" action="/recipes" {
                input type="search" name="q" value=(words) placeholder="name, description, provides";
                select name="origin" {
                    option value="" { "both origins" }
                    option value="arch" selected[origin == "arch"] { "arch" }
                    option value="guix" selected[origin == "guix"] { "guix" }
                }
                button type="submit" { "Search" }
            }
            @if !words.trim().is_empty() {
                p { (hits.len()) " recipes" }
                table {
                    @for h in &hits {
                        tr {
                            td { (h.origin.as_str()) }
                            td { a href={ "/recipes/" (h.origin.as_str()) "/" (h.name) } { (h.name) } }
                            td { (h.version) }
                            td { (h.description.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        },
    ))
}

/// Everything the recipe page shows.
pub struct RecipeView {
    /// The recipe.
    pub recipe: StoredRecipe,
    /// Its counterpart in the other origin, with the comparison.
    pub counterpart: Option<(StoredRecipe, Comparison)>,
    /// Its translation into the other format.
    pub translation: kiln_normalizer::emit::Emitted,
    /// Its latest builds.
    pub builds: Vec<Build>,
}

/// Reads a recipe with its counterpart, translation and builds.
pub async fn recipe_view(
    state: &AppState,
    origin: Origin,
    name: String,
) -> Result<RecipeView, WebError> {
    state
        .with_store(move |s| {
            let recipe = s.recipe_by_name(Some(origin), &name)?.ok_or_else(|| {
                WebError::NotFound(format!("no {} recipe {name:?}", origin.as_str()))
            })?;
            let maps = Mappings::builtin();
            let counterpart = match origin {
                Origin::Arch => {
                    let index = GuixIndex::build(s)?;
                    index
                        .best_match(&recipe.recipe, maps)
                        .map(|(g, c)| (g.clone(), c))
                }
                Origin::Guix => arch_counterpart(s, &recipe.recipe, maps)?,
            };
            let translation = match origin {
                Origin::Arch => guix::package_form(&recipe.recipe, maps),
                Origin::Guix => pkgbuild::pkgbuild(&recipe.recipe, maps),
            };
            let builds = s.builds(&BuildFilter {
                origin: Some(origin),
                name: Some(recipe.name.clone()),
                limit: 20,
                ..BuildFilter::default()
            })?;
            Ok(RecipeView {
                recipe,
                counterpart,
                translation,
                builds,
            })
        })
        .await
}

fn recipe_card(r: &StoredRecipe) -> Markup {
    let base = &r.recipe.base;
    html! {
        div.card {
            h3 { (r.origin.as_str()) "/" a href={ "/recipes/" (r.origin.as_str()) "/" (r.name) } { (r.name) } " " (r.version) }
            @if let Some(d) = &base.pkgdesc { p { (d) } }
            @if let Some(u) = &base.url { p { "home page: " (u) } }
            pre.json { (serde_json::to_string_pretty(&r.recipe).unwrap_or_default()) }
        }
    }
}

fn comparison(c: &Comparison) -> Markup {
    html! {
        section #comparison {
            h2 { "Comparison: " span.verdict { (c.verdict.as_str()) } }
            h3 { "Evidence" }
            ul { @for e in &c.evidence { li { strong { (e.kind()) } " " code { (serde_json::to_string(e).unwrap_or_default()) } } } }
            table {
                tr { th {} th { "arch" } th { "guix" } }
                tr { td { "version" } td { (c.versions.arch.as_deref().unwrap_or("–")) } td { (c.versions.guix.as_deref().unwrap_or("–")) } }
                tr { td { "licenses" } td { (c.licenses.arch.join(", ")) } td { (c.licenses.guix.join(", ")) } }
                tr { td { "build system" } td { (c.build_system.0.as_deref().unwrap_or("–")) } td { (c.build_system.1.as_deref().unwrap_or("–")) } }
                tr { td { "tests" } td { (c.tests.0) } td { (c.tests.1) } }
                tr { td { "dependencies only here" } td { (c.dependencies.only_arch.join(" ")) } td { (c.dependencies.only_guix.join(" ")) } }
            }
            @if let Some(d) = &c.versions.drift { p { "version drift: " (d.newer) " newer (" (d.size) ")" } }
            p { "matched dependencies: " (c.dependencies.matched.join(" ")) }
        }
    }
}

/// `GET /recipes/{origin}/{name}`
pub async fn recipe_page(
    State(state): State<AppState>,
    Path((origin, name)): Path<(String, String)>,
) -> Result<Markup, PageError> {
    let origin = parse_origin(&origin)?;
    let v = recipe_view(&state, origin, name).await?;
    let other = match origin {
        Origin::Arch => "Guix package form",
        Origin::Guix => "PKGBUILD",
    };
    Ok(page(
        &format!("{}/{}", origin.as_str(), v.recipe.name),
        html! {
            h1 { (origin.as_str()) "/" (v.recipe.name) " " (v.recipe.version) }
            div.side-by-side {
                (recipe_card(&v.recipe))
                @if let Some((other, _)) = &v.counterpart { (recipe_card(other)) }
                @else { div.card { p.empty { "No counterpart found in the other origin." } } }
            }
            @if let Some((_, c)) = &v.counterpart { (comparison(c)) }
            h2 { "Translated to a " (other) }
            @if !v.translation.warnings.is_empty() {
                ul.warnings { @for w in &v.translation.warnings { li { (w) } } }
            }
            pre.translation { (v.translation.text) }
            h2 { "Builds" }
            @if v.builds.is_empty() { p.empty { "Never built." } } @else { (builds_table(&v.builds)) }
        },
    ))
}

/// Pairs listed in full on the summary page.
const TOP: usize = 50;

/// Compares the whole store.
pub async fn summary(state: &AppState) -> Result<ComparisonSummary, WebError> {
    state
        .with_store(|s| Ok(compare_all(s, Mappings::builtin(), TOP)?))
        .await
}

/// `GET /compare`
pub async fn compare_page(State(state): State<AppState>) -> Result<Markup, PageError> {
    let s = summary(&state).await?;
    Ok(page(
        "Comparison",
        html! {
            h1 { "Arch and Guix compared" }
            p { (s.arch_recipes) " Arch recipes, " (s.guix_recipes) " Guix recipes, " (s.matched) " pairs; "
                (s.orders_disagree) " where vercmp and Guix disagree on order." }
            div.side-by-side {
                table { tr { th { "evidence" } th { "pairs" } } @for (k, n) in &s.by_evidence { tr { td { (k) } td { (n) } } } }
                table { tr { th { "verdict" } th { "pairs" } } @for (k, n) in &s.by_verdict { tr { td { (k) } td { (n) } } } }
                table { tr { th { "drift" } th { "pairs" } } @for (k, n) in &s.drift { tr { td { (k) } td { (n) } } } }
            }
            h2 { "Most divergent" }
            table {
                tr { th { "arch" } th { "guix" } th { "verdict" } th { "versions" } }
                @for c in &s.most_divergent {
                    tr {
                        td { a href={ "/recipes/arch/" (c.arch_name) } { (c.arch_name) } }
                        td { a href={ "/recipes/guix/" (c.guix_name) } { (c.guix_name) } }
                        td { (c.verdict.as_str()) }
                        td { (c.versions.arch.as_deref().unwrap_or("–")) " / " (c.versions.guix.as_deref().unwrap_or("–")) }
                    }
                }
            }
        },
    ))
}
