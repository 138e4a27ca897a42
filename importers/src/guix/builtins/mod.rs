//! Procedures and constants built into the interpreter: the part of Guile,
//! SRFI-1 and Guix's core modules (`(guix packages)`, `(guix utils)`,
//! `(guix download)`, `(gnu packages)` ...) that package definitions call.
//! They are pure: nothing here touches the file system or runs anything.
//! Anything not listed needs real evaluation and is reported as such.

use std::collections::HashMap;
use std::rc::Rc;

mod lists;
mod text;

use lists::*;
use text::*;

use super::eval::{cons, Interp};
use super::regexp;
use super::symbol::Symbol;
use super::value::{
    equal, EvalError, EvalResult, Field, Mapping, Native, Package, Procedure, Record, Thunk, Value,
};

/// The signature of a native procedure.
pub type NativeFn = for<'a> fn(&Interp<'a>, Vec<Value<'a>>, usize, u32) -> EvalResult<'a>;

/// A built-in value.
#[derive(Clone, Copy)]
pub enum Builtin {
    /// A procedure.
    Proc(&'static str, NativeFn),
    /// A fetch method (`url-fetch` ...), by name.
    Method(&'static str),
    /// A constant string.
    Str(&'static str),
    /// `#f`.
    False,
    /// The empty list (`vlist-null`: vlists and vhashes are lists here).
    Null,
    /// `%supported-systems`.
    SupportedSystems,
    /// `%load-path`: the roots of the tree, which only `search-path` looks
    /// into.
    LoadPath,
}

impl Builtin {
    /// The value.
    pub fn value<'a>(self) -> Value<'a> {
        match self {
            Builtin::Proc(name, run) => {
                Value::Procedure(Rc::new(Procedure::Native(Native { name, run })))
            }
            Builtin::Method(name) => Value::Record(Rc::new(Record {
                kind: Symbol::intern("fetch-method"),
                fields: vec![(Symbol::intern("name"), Value::str(name))],
            })),
            Builtin::Str(s) => Value::str(s),
            Builtin::False => Value::Bool(false),
            Builtin::Null => Value::Null,
            Builtin::SupportedSystems => {
                Value::list(SUPPORTED_SYSTEMS.iter().map(|s| Value::str(s)).collect())
            }
            Builtin::LoadPath => Value::Record(Rc::new(Record {
                kind: Symbol::intern("load-path"),
                fields: Vec::new(),
            })),
        }
    }
}

/// Guix's `%supported-systems` at the corpus's commit.
const SUPPORTED_SYSTEMS: &[&str] = &[
    "x86_64-linux",
    "mips64el-linux",
    "i686-linux",
    "armhf-linux",
    "aarch64-linux",
    "powerpc-linux",
    "powerpc64le-linux",
    "riscv64-linux",
    "i586-gnu",
];

fn fail<'a>(message: impl Into<String>) -> EvalResult<'a> {
    Err(EvalError {
        module: 0,
        line: 0,
        message: message.into(),
    })
}

fn want_str<'v>(v: &'v Value<'_>, what: &str) -> Result<&'v str, EvalError> {
    v.as_str().ok_or_else(|| EvalError {
        module: 0,
        line: 0,
        message: format!("{what}: expected a string, got {v:?}"),
    })
}

fn want_int(v: &Value<'_>, what: &str) -> Result<i64, EvalError> {
    match v {
        Value::Int(n) => Ok(*n),
        Value::Float(f) if f.fract() == 0.0 => Ok(*f as i64),
        _ => Err(EvalError {
            module: 0,
            line: 0,
            message: format!("{what}: expected an integer, got {v:?}"),
        }),
    }
}

fn want_list<'v, 'a>(v: &'v Value<'a>, what: &str) -> Result<&'v [Value<'a>], EvalError> {
    v.as_slice().ok_or_else(|| EvalError {
        module: 0,
        line: 0,
        message: format!("{what}: expected a list, got {v:?}"),
    })
}

fn arity(args: &[Value<'_>], n: usize, what: &str) -> Result<(), EvalError> {
    if args.len() < n {
        return Err(EvalError {
            module: 0,
            line: 0,
            message: format!("{what}: {n} arguments expected, {} given", args.len()),
        });
    }
    Ok(())
}

fn want_pkg<'v, 'a>(v: &'v Value<'a>, what: &str) -> Result<&'v Rc<Package<'a>>, EvalError> {
    match v {
        Value::Package(p) => Ok(p),
        _ => Err(EvalError {
            module: 0,
            line: 0,
            message: format!("{what}: expected a package, got {v:?}"),
        }),
    }
}

/// Characters of a string argument at a character index.
fn char_index(s: &str, i: i64, what: &str) -> Result<usize, EvalError> {
    if i < 0 {
        return Err(EvalError {
            module: 0,
            line: 0,
            message: format!("{what}: negative index"),
        });
    }
    let i = i as usize;
    if i == 0 {
        return Ok(0);
    }
    match s.char_indices().nth(i) {
        Some((b, _)) => Ok(b),
        None if s.chars().count() == i => Ok(s.len()),
        None => Err(EvalError {
            module: 0,
            line: 0,
            message: format!("{what}: index {i} out of range for {s:?}"),
        }),
    }
}

macro_rules! natives {
    ($($name:literal => $f:expr),* $(,)?) => {
        vec![$(($name, Builtin::Proc($name, $f))),*]
    };
}

/// Every built-in by name.
pub fn table() -> HashMap<Symbol, Builtin> {
    let mut t: Vec<(&'static str, Builtin)> = natives! {
        "string-append" => |_, a, _, _| {
            let mut s = String::new();
            for v in &a { s.push_str(want_str(v, "string-append")?); }
            Ok(Value::str(&s))
        },
        "string" => |_, a, _, _| {
            let mut s = String::new();
            for v in &a { match v { Value::Char(c) => s.push(*c), Value::Str(x) => s.push_str(x), _ => return fail("string: expected characters") } }
            Ok(Value::str(&s))
        },
        "list" => |_, a, _, _| Ok(Value::list(a)),
        "cons" => |_, a, _, _| { arity(&a, 2, "cons")?; let mut a = a.into_iter(); let x = a.next().expect("arity"); Ok(cons(x, a.next().expect("arity"))) },
        "cons*" => |_, mut a, _, _| {
            let Some(tail) = a.pop() else { return fail("cons*: no arguments") };
            Ok(a.into_iter().rev().fold(tail, |acc, x| cons(x, acc)))
        },
        "car" => |_, a, _, _| car(a.first()),
        "first" => |_, a, _, _| car(a.first()),
        "cdr" => |_, a, _, _| cdr(a.first()),
        "cadr" => |_, a, _, _| car(Some(&cdr(a.first())?)),
        "second" => |_, a, _, _| car(Some(&cdr(a.first())?)),
        "cddr" => |_, a, _, _| cdr(Some(&cdr(a.first())?)),
        "caddr" => |_, a, _, _| car(Some(&cdr(Some(&cdr(a.first())?))?)),
        "third" => |_, a, _, _| car(Some(&cdr(Some(&cdr(a.first())?))?)),
        "caar" => |_, a, _, _| car(Some(&car(a.first())?)),
        "cdar" => |_, a, _, _| cdr(Some(&car(a.first())?)),
        "last" => |_, a, _, _| { arity(&a, 1, "last")?; want_list(&a[0], "last")?.last().cloned().map_or_else(|| fail("last: empty list"), Ok) },
        "length" => |_, a, _, _| { arity(&a, 1, "length")?; Ok(Value::Int(want_list(&a[0], "length")?.len() as i64)) },
        "reverse" => |_, a, _, _| { arity(&a, 1, "reverse")?; let mut v = want_list(&a[0], "reverse")?.to_vec(); v.reverse(); Ok(Value::list(v)) },
        "append" => |_, a, _, _| append(a),
        "list-ref" => |_, a, _, _| { arity(&a, 2, "list-ref")?; let l = want_list(&a[0], "list-ref")?; l.get(want_int(&a[1], "list-ref")? as usize).cloned().map_or_else(|| fail("list-ref: index out of range"), Ok) },
        "take" => |_, a, _, _| { arity(&a, 2, "take")?; let l = want_list(&a[0], "take")?; let n = want_int(&a[1], "take")? as usize; if n > l.len() { return fail("take: list too short") } Ok(Value::list(l[..n].to_vec())) },
        "list-head" => |_, a, _, _| { arity(&a, 2, "list-head")?; let l = want_list(&a[0], "list-head")?; let n = want_int(&a[1], "list-head")? as usize; if n > l.len() { return fail("list-head: list too short") } Ok(Value::list(l[..n].to_vec())) },
        "drop" => |_, a, _, _| { arity(&a, 2, "drop")?; let l = want_list(&a[0], "drop")?; let n = want_int(&a[1], "drop")? as usize; if n > l.len() { return fail("drop: list too short") } Ok(Value::list(l[n..].to_vec())) },
        "list-tail" => |_, a, _, _| { arity(&a, 2, "list-tail")?; let l = want_list(&a[0], "list-tail")?; let n = want_int(&a[1], "list-tail")? as usize; if n > l.len() { return fail("list-tail: list too short") } Ok(Value::list(l[n..].to_vec())) },
        "iota" => |_, a, _, _| { arity(&a, 1, "iota")?; let n = want_int(&a[0], "iota")?; let start = a.get(1).map(|v| want_int(v, "iota")).transpose()?.unwrap_or(0); Ok(Value::list((0..n.clamp(0, 100_000)).map(|i| Value::Int(start + i)).collect())) },
        "null?" => |_, a, _, _| Ok(Value::Bool(matches!(a.first(), Some(Value::Null)))),
        "pair?" => |_, a, _, _| Ok(Value::Bool(matches!(a.first(), Some(Value::List(_) | Value::Pair(_))))),
        "list?" => |_, a, _, _| Ok(Value::Bool(matches!(a.first(), Some(Value::List(_) | Value::Null)))),
        "string?" => |_, a, _, _| Ok(Value::Bool(matches!(a.first(), Some(Value::Str(_))))),
        "symbol?" => |_, a, _, _| Ok(Value::Bool(matches!(a.first(), Some(Value::Sym(_))))),
        "number?" => |_, a, _, _| Ok(Value::Bool(matches!(a.first(), Some(Value::Int(_) | Value::Float(_))))),
        "boolean?" => |_, a, _, _| Ok(Value::Bool(matches!(a.first(), Some(Value::Bool(_))))),
        "procedure?" => |_, a, _, _| Ok(Value::Bool(matches!(a.first(), Some(Value::Procedure(_))))),
        "package?" => |_, a, _, _| Ok(Value::Bool(matches!(a.first(), Some(Value::Package(_))))),
        "promise?" => |_, a, _, _| Ok(Value::Bool(matches!(a.first(), Some(Value::Promise(_))))),
        "origin?" => |_, a, _, _| Ok(Value::Bool(a.first().and_then(|v| v.as_record("origin")).is_some())),
        "not" => |_, a, _, _| Ok(Value::Bool(!a.first().is_some_and(Value::is_true))),
        "eq?" => |_, a, _, _| { arity(&a, 2, "eq?")?; Ok(Value::Bool(equal(&a[0], &a[1]))) },
        "eqv?" => |_, a, _, _| { arity(&a, 2, "eqv?")?; Ok(Value::Bool(equal(&a[0], &a[1]))) },
        "equal?" => |_, a, _, _| { arity(&a, 2, "equal?")?; Ok(Value::Bool(equal(&a[0], &a[1]))) },
        "string=?" => |_, a, _, _| { arity(&a, 2, "string=?")?; Ok(Value::Bool(want_str(&a[0], "string=?")? == want_str(&a[1], "string=?")?)) },
        "string<?" => |_, a, _, _| { arity(&a, 2, "string<?")?; Ok(Value::Bool(want_str(&a[0], "string<?")? < want_str(&a[1], "string<?")?)) },
        "string-null?" => |_, a, _, _| { arity(&a, 1, "string-null?")?; Ok(Value::Bool(want_str(&a[0], "string-null?")?.is_empty())) },
        "string-length" => |_, a, _, _| { arity(&a, 1, "string-length")?; Ok(Value::Int(want_str(&a[0], "string-length")?.chars().count() as i64)) },
        "string-prefix?" => |_, a, _, _| { arity(&a, 2, "string-prefix?")?; Ok(Value::Bool(want_str(&a[1], "string-prefix?")?.starts_with(want_str(&a[0], "string-prefix?")?))) },
        "string-suffix?" => |_, a, _, _| { arity(&a, 2, "string-suffix?")?; Ok(Value::Bool(want_str(&a[1], "string-suffix?")?.ends_with(want_str(&a[0], "string-suffix?")?))) },
        "string-contains" => |_, a, _, _| { arity(&a, 2, "string-contains")?; let s = want_str(&a[0], "string-contains")?; Ok(match s.find(want_str(&a[1], "string-contains")?) { Some(b) => Value::Int(s[..b].chars().count() as i64), None => Value::Bool(false) }) },
        "string-downcase" => |_, a, _, _| { arity(&a, 1, "string-downcase")?; Ok(Value::str(&want_str(&a[0], "string-downcase")?.to_lowercase())) },
        "string-upcase" => |_, a, _, _| { arity(&a, 1, "string-upcase")?; Ok(Value::str(&want_str(&a[0], "string-upcase")?.to_uppercase())) },
        "string-take" => |_, a, _, _| { arity(&a, 2, "string-take")?; let s = want_str(&a[0], "string-take")?; let i = char_index(s, want_int(&a[1], "string-take")?, "string-take")?; Ok(Value::str(&s[..i])) },
        "string-drop" => |_, a, _, _| { arity(&a, 2, "string-drop")?; let s = want_str(&a[0], "string-drop")?; let i = char_index(s, want_int(&a[1], "string-drop")?, "string-drop")?; Ok(Value::str(&s[i..])) },
        "string-take-right" => |_, a, _, _| { arity(&a, 2, "string-take-right")?; let s = want_str(&a[0], "string-take-right")?; let n = s.chars().count() as i64 - want_int(&a[1], "string-take-right")?; let i = char_index(s, n, "string-take-right")?; Ok(Value::str(&s[i..])) },
        "string-drop-right" => |_, a, _, _| { arity(&a, 2, "string-drop-right")?; let s = want_str(&a[0], "string-drop-right")?; let n = s.chars().count() as i64 - want_int(&a[1], "string-drop-right")?; let i = char_index(s, n, "string-drop-right")?; Ok(Value::str(&s[..i])) },
        "substring" => |_, a, _, _| {
            arity(&a, 2, "substring")?;
            let s = want_str(&a[0], "substring")?;
            let start = char_index(s, want_int(&a[1], "substring")?, "substring")?;
            let end = match a.get(2) { Some(e) => char_index(s, want_int(e, "substring")?, "substring")?, None => s.len() };
            if start > end { return fail("substring: start after end") }
            Ok(Value::str(&s[start..end]))
        },
        "string-index" => |_, a, _, _| { arity(&a, 2, "string-index")?; let s = want_str(&a[0], "string-index")?; let Value::Char(c) = a[1] else { return fail("string-index: only a character is supported") }; Ok(s.chars().position(|x| x == c).map_or(Value::Bool(false), |i| Value::Int(i as i64))) },
        "string-rindex" => |_, a, _, _| { arity(&a, 2, "string-rindex")?; let s = want_str(&a[0], "string-rindex")?; let Value::Char(c) = a[1] else { return fail("string-rindex: only a character is supported") }; let chars: Vec<char> = s.chars().collect(); Ok(chars.iter().rposition(|x| *x == c).map_or(Value::Bool(false), |i| Value::Int(i as i64))) },
        "string-split" => |_, a, _, _| {
            arity(&a, 2, "string-split")?;
            let s = want_str(&a[0], "string-split")?;
            let Value::Char(c) = a[1] else { return fail("string-split: only a character is supported") };
            Ok(Value::list(s.split(c).map(Value::str).collect()))
        },
        "string-join" => |_, a, _, _| {
            arity(&a, 1, "string-join")?;
            let parts = want_list(&a[0], "string-join")?;
            let sep = match a.get(1) { Some(s) => want_str(s, "string-join")?, None => " " };
            let strs: Result<Vec<&str>, _> = parts.iter().map(|p| want_str(p, "string-join")).collect();
            Ok(Value::str(&strs?.join(sep)))
        },
        "string-replace-substring" => |_, a, _, _| { arity(&a, 3, "string-replace-substring")?; Ok(Value::str(&want_str(&a[0], "string-replace-substring")?.replace(want_str(&a[1], "string-replace-substring")?, want_str(&a[2], "string-replace-substring")?))) },
        "string-trim" => |it, a, m, l| string_trim(it, &a, m, l, "string-trim", true, false),
        "string-trim-right" => |it, a, m, l| string_trim(it, &a, m, l, "string-trim-right", false, true),
        "string-trim-both" => |it, a, m, l| string_trim(it, &a, m, l, "string-trim-both", true, true),
        // Character sets as the predicates they stand for (Guile's string
        // procedures take either).
        "char-set:letter" => |_, a, _, _| char_test(&a, "char-set:letter", char::is_alphabetic),
        "char-set:digit" => |_, a, _, _| char_test(&a, "char-set:digit", |c| c.is_ascii_digit()),
        "char-set:letter+digit" => |_, a, _, _| char_test(&a, "char-set:letter+digit", char::is_alphanumeric),
        "char-set:whitespace" => |_, a, _, _| char_test(&a, "char-set:whitespace", char::is_whitespace),
        "char-alphabetic?" => |_, a, _, _| char_test(&a, "char-alphabetic?", char::is_alphabetic),
        "char-numeric?" => |_, a, _, _| char_test(&a, "char-numeric?", char::is_numeric),
        "char-whitespace?" => |_, a, _, _| char_test(&a, "char-whitespace?", char::is_whitespace),
        // `(char-set c ...)`: whether a character is one of those given,
        // as `(cut memv <> (list c ...))`.
        "char-set" => |_, a, _, _| {
            if let Some(other) = a.iter().find(|c| !matches!(c, Value::Char(_))) {
                return fail(format!("char-set: expected characters, got {other:?}"));
            }
            let memv = Value::Procedure(Rc::new(Procedure::Native(Native { name: "memv", run: |_, a, _, _| member(&a) })));
            Ok(Value::Procedure(Rc::new(Procedure::Cut(vec![Some(memv), None, Some(Value::list(a))], false))))
        },
        "char-set-complement" => |_, a, _, _| { arity(&a, 1, "char-set-complement")?; Ok(Value::Procedure(Rc::new(Procedure::Negate(a[0].clone())))) },
        "string->list" => |_, a, _, _| { arity(&a, 1, "string->list")?; Ok(Value::list(want_str(&a[0], "string->list")?.chars().map(Value::Char).collect())) },
        "list->string" => |_, a, _, _| { arity(&a, 1, "list->string")?; let mut s = String::new(); for c in want_list(&a[0], "list->string")? { match c { Value::Char(c) => s.push(*c), _ => return fail("list->string: expected characters") } } Ok(Value::str(&s)) },
        "string->symbol" => |_, a, _, _| { arity(&a, 1, "string->symbol")?; Ok(Value::Sym(Symbol::intern(want_str(&a[0], "string->symbol")?))) },
        "symbol->string" => |_, a, _, _| match a.first() { Some(Value::Sym(s)) => Ok(Value::str(s.as_str())), _ => fail("symbol->string: expected a symbol") },
        "symbol-append" => |_, a, _, _| { let mut s = String::new(); for v in &a { match v { Value::Sym(x) => s.push_str(x.as_str()), _ => return fail("symbol-append: expected symbols") } } Ok(Value::Sym(Symbol::intern(&s))) },
        "number->string" => |_, a, _, _| match a.first() { Some(Value::Int(n)) => Ok(Value::str(&n.to_string())), Some(Value::Float(f)) => Ok(Value::str(&format!("{f:?}"))), _ => fail("number->string: expected a number") },
        "string->number" => |_, a, _, _| { arity(&a, 1, "string->number")?; let s = want_str(&a[0], "string->number")?; Ok(s.parse::<i64>().map(Value::Int).or_else(|_| s.parse::<f64>().map(Value::Float)).unwrap_or(Value::Bool(false))) },
        "+" => |_, a, _, _| arith(&a, 0, |x, y| x.checked_add(y), |x, y| x + y),
        "*" => |_, a, _, _| arith(&a, 1, |x, y| x.checked_mul(y), |x, y| x * y),
        "-" => |_, a, _, _| match a.len() { 1 => arith(&[Value::Int(0), a[0].clone()], 0, |x, y| x.checked_sub(y), |x, y| x - y), _ => { let mut it = a.into_iter(); let first = it.next().unwrap_or(Value::Int(0)); it.try_fold(first, |acc, v| arith(&[acc, v], 0, |x, y| x.checked_sub(y), |x, y| x - y)) } },
        "1+" => |_, a, _, _| { arity(&a, 1, "1+")?; Ok(Value::Int(want_int(&a[0], "1+")?.saturating_add(1))) },
        "1-" => |_, a, _, _| { arity(&a, 1, "1-")?; Ok(Value::Int(want_int(&a[0], "1-")?.saturating_sub(1))) },
        "=" => |_, a, _, _| compare(&a, |o| o == std::cmp::Ordering::Equal),
        "<" => |_, a, _, _| compare(&a, |o| o == std::cmp::Ordering::Less),
        ">" => |_, a, _, _| compare(&a, |o| o == std::cmp::Ordering::Greater),
        "<=" => |_, a, _, _| compare(&a, |o| o != std::cmp::Ordering::Greater),
        ">=" => |_, a, _, _| compare(&a, |o| o != std::cmp::Ordering::Less),
        "zero?" => |_, a, _, _| { arity(&a, 1, "zero?")?; Ok(Value::Bool(want_int(&a[0], "zero?")? == 0)) },
        "identity" => |_, a, _, _| a.into_iter().next().map_or_else(|| fail("identity: no argument"), Ok),
        "G_" => |_, a, _, _| a.into_iter().next().map_or_else(|| fail("G_: no argument"), Ok),
        "N_" => |_, a, _, _| a.into_iter().next().map_or_else(|| fail("N_: no argument"), Ok),
        // One value is itself; others are kept together for `let-values`,
        // `receive` and `call-with-values`.
        "values" => |_, a, _, _| Ok(if a.len() == 1 { a.into_iter().next().unwrap_or(Value::Unspecified) } else { Value::Values(a.into()) }),
        "call-with-values" => |it, a, m, l| {
            arity(&a, 2, "call-with-values")?;
            let values = it.apply(&a[0], Vec::new(), m, l)?;
            it.apply(&a[1], values.into_values(), m, l)
        },
        "apply" => |it, mut a, m, l| {
            let Some(last) = a.pop() else { return fail("apply: no procedure") };
            if a.is_empty() { return fail("apply: no procedure") }
            let f = a.remove(0);
            a.extend(want_list(&last, "apply")?.iter().cloned());
            it.apply(&f, a, m, l)
        },
        "map" => |it, a, m, l| {
            arity(&a, 2, "map")?;
            let lists: Result<Vec<&[Value<'_>]>, _> = a[1..].iter().map(|x| want_list(x, "map")).collect();
            let lists = lists?;
            let n = lists.iter().map(|x| x.len()).min().unwrap_or(0);
            let mut out = Vec::with_capacity(n);
            for i in 0..n { out.push(it.apply(&a[0], lists.iter().map(|x| x[i].clone()).collect(), m, l)?); }
            Ok(Value::list(out))
        },
        "for-each" => |it, a, m, l| { arity(&a, 2, "for-each")?; for x in want_list(&a[1], "for-each")? { it.apply(&a[0], vec![x.clone()], m, l)?; } Ok(Value::Unspecified) },
        "append-map" => |it, a, m, l| {
            arity(&a, 2, "append-map")?;
            let mut parts = Vec::new();
            for x in want_list(&a[1], "append-map")? { parts.push(it.apply(&a[0], vec![x.clone()], m, l)?); }
            append(parts)
        },
        "filter-map" => |it, a, m, l| {
            arity(&a, 2, "filter-map")?;
            let mut out = Vec::new();
            for x in want_list(&a[1], "filter-map")? { let v = it.apply(&a[0], vec![x.clone()], m, l)?; if v.is_true() { out.push(v) } }
            Ok(Value::list(out))
        },
        "filter" => |it, a, m, l| { arity(&a, 2, "filter")?; let mut out = Vec::new(); for x in want_list(&a[1], "filter")? { if it.apply(&a[0], vec![x.clone()], m, l)?.is_true() { out.push(x.clone()) } } Ok(Value::list(out)) },
        "remove" => |it, a, m, l| { arity(&a, 2, "remove")?; let mut out = Vec::new(); for x in want_list(&a[1], "remove")? { if !it.apply(&a[0], vec![x.clone()], m, l)?.is_true() { out.push(x.clone()) } } Ok(Value::list(out)) },
        "find" => |it, a, m, l| { arity(&a, 2, "find")?; for x in want_list(&a[1], "find")? { if it.apply(&a[0], vec![x.clone()], m, l)?.is_true() { return Ok(x.clone()) } } Ok(Value::Bool(false)) },
        "any" => |it, a, m, l| { arity(&a, 2, "any")?; for x in want_list(&a[1], "any")? { let v = it.apply(&a[0], vec![x.clone()], m, l)?; if v.is_true() { return Ok(v) } } Ok(Value::Bool(false)) },
        "every" => |it, a, m, l| { arity(&a, 2, "every")?; let mut last = Value::Bool(true); for x in want_list(&a[1], "every")? { last = it.apply(&a[0], vec![x.clone()], m, l)?; if !last.is_true() { return Ok(last) } } Ok(last) },
        "fold" => |it, a, m, l| {
            arity(&a, 3, "fold")?;
            // SRFI-1: with several lists, KONS takes an element of each (up
            // to the shortest), then the seed.
            let lists: Vec<&[Value]> = a[2..].iter().map(|v| want_list(v, "fold")).collect::<Result<_, _>>()?;
            let n = lists.iter().map(|l| l.len()).min().unwrap_or(0);
            let mut acc = a[1].clone();
            for i in 0..n {
                let mut args: Vec<Value> = lists.iter().map(|l| l[i].clone()).collect();
                args.push(acc);
                acc = it.apply(&a[0], args, m, l)?;
            }
            Ok(acc)
        },
        "fold-right" => |it, a, m, l| {
            arity(&a, 3, "fold-right")?;
            let mut acc = a[1].clone();
            for x in want_list(&a[2], "fold-right")?.iter().rev() { acc = it.apply(&a[0], vec![x.clone(), acc], m, l)?; }
            Ok(acc)
        },
        "delete" => |_, a, _, _| { arity(&a, 2, "delete")?; Ok(Value::list(want_list(&a[1], "delete")?.iter().filter(|x| !equal(x, &a[0])).cloned().collect())) },
        "delete-duplicates" => |_, a, _, _| { arity(&a, 1, "delete-duplicates")?; let mut out: Vec<Value<'_>> = Vec::new(); for x in want_list(&a[0], "delete-duplicates")? { if !out.iter().any(|y| equal(x, y)) { out.push(x.clone()) } } Ok(Value::list(out)) },
        "member" => |_, a, _, _| member(&a),
        "memq" => |_, a, _, _| member(&a),
        "memv" => |_, a, _, _| member(&a),
        "assoc" => |_, a, _, _| { arity(&a, 2, "assoc")?; Ok(assoc(&a[1], &a[0]).unwrap_or(Value::Bool(false))) },
        "assq" => |_, a, _, _| { arity(&a, 2, "assq")?; Ok(assoc(&a[1], &a[0]).unwrap_or(Value::Bool(false))) },
        "assv" => |_, a, _, _| { arity(&a, 2, "assv")?; Ok(assoc(&a[1], &a[0]).unwrap_or(Value::Bool(false))) },
        "assoc-ref" => |_, a, _, _| { arity(&a, 2, "assoc-ref")?; assoc(&a[0], &a[1]).map_or(Ok(Value::Bool(false)), |e| cdr(Some(&e))) },
        "assq-ref" => |_, a, _, _| { arity(&a, 2, "assq-ref")?; assoc(&a[0], &a[1]).map_or(Ok(Value::Bool(false)), |e| cdr(Some(&e))) },
        "alist-delete" => |_, a, _, _| {
            arity(&a, 2, "alist-delete")?;
            alist_without(want_list(&a[1], "alist-delete")?, &a[0])
        },
        // Guile's `assoc-remove!` may reuse the list's pairs; values here
        // are immutable, so a new list, as `alist-delete` gives.
        "assoc-remove!" => |_, a, _, _| {
            arity(&a, 2, "assoc-remove!")?;
            alist_without(want_list(&a[0], "assoc-remove!")?, &a[1])
        },
        "alist-cons" => |_, a, _, _| { arity(&a, 3, "alist-cons")?; Ok(cons(cons(a[0].clone(), a[1].clone()), a[2].clone())) },
        "force" => |it, a, _, _| match a.first() { Some(Value::Promise(p)) => it.force(p), Some(v) => Ok(v.clone()), None => fail("force: no argument") },
        "const" => |_, a, _, _| { arity(&a, 1, "const")?; Ok(Value::Procedure(Rc::new(Procedure::Const(a[0].clone())))) },
        "make-parameter" => |_, a, _, _| { arity(&a, 1, "make-parameter")?; Ok(Value::Procedure(Rc::new(Procedure::Const(a[0].clone())))) },
        "compose" => |_, a, _, _| Ok(Value::Procedure(Rc::new(Procedure::Compose(a)))),
        "negate" => |_, a, _, _| { arity(&a, 1, "negate")?; Ok(Value::Procedure(Rc::new(Procedure::Negate(a[0].clone())))) },
        "and=>" => |it, a, m, l| { arity(&a, 2, "and=>")?; if a[0].is_true() { it.apply(&a[1], vec![a[0].clone()], m, l) } else { Ok(Value::Bool(false)) } },
        "string-map" => |it, a, m, l| {
            arity(&a, 2, "string-map")?;
            let mut out = String::new();
            for c in want_str(&a[1], "string-map")?.chars() {
                match it.apply(&a[0], vec![Value::Char(c)], m, l)? { Value::Char(c) => out.push(c), _ => return fail("string-map: procedure must return a character") }
            }
            Ok(Value::str(&out))
        },
        "alist-replace" => |_, a, _, _| {
            arity(&a, 3, "alist-replace")?;
            let l = want_list(&a[2], "alist-replace")?;
            Ok(Value::list(l.iter().map(|e| if car(Some(e)).is_ok_and(|k| equal(&k, &a[0])) { cons(a[0].clone(), a[1].clone()) } else { e.clone() }).collect()))
        },
        "version-compare" => |_, a, _, _| { arity(&a, 2, "version-compare")?; let o = version_order(want_str(&a[0], "version-compare")?, want_str(&a[1], "version-compare")?); Ok(Value::Sym(Symbol::intern(match o { std::cmp::Ordering::Less => "<", std::cmp::Ordering::Equal => "=", std::cmp::Ordering::Greater => ">" }))) },
        "version>?" => |_, a, _, _| { arity(&a, 2, "version>?")?; Ok(Value::Bool(version_order(want_str(&a[0], "version>?")?, want_str(&a[1], "version>?")?).is_gt())) },
        "version>=?" => |_, a, _, _| { arity(&a, 2, "version>=?")?; Ok(Value::Bool(version_order(want_str(&a[0], "version>=?")?, want_str(&a[1], "version>=?")?).is_ge())) },
        "version<?" => |_, a, _, _| { arity(&a, 2, "version<?")?; Ok(Value::Bool(version_order(want_str(&a[0], "version<?")?, want_str(&a[1], "version<?")?).is_lt())) },
        "version<=?" => |_, a, _, _| { arity(&a, 2, "version<=?")?; Ok(Value::Bool(version_order(want_str(&a[0], "version<=?")?, want_str(&a[1], "version<=?")?).is_le())) },
        "format" => |_, a, _, _| {
            arity(&a, 2, "format")?;
            if a[0].is_true() { return fail("format: only (format #f ...) is supported") }
            format(want_str(&a[1], "format")?, &a[2..])
        },
        "char=?" => |_, a, _, _| { arity(&a, 2, "char=?")?; Ok(Value::Bool(equal(&a[0], &a[1]))) },
        "string-delete" => |it, a, m, l| string_keep(it, &a, m, l, "string-delete", false),
        "string-filter" => |it, a, m, l| string_keep(it, &a, m, l, "string-filter", true),
        "string-concatenate" => |_, a, _, _| {
            arity(&a, 1, "string-concatenate")?;
            let mut s = String::new();
            for v in want_list(&a[0], "string-concatenate")? { s.push_str(want_str(v, "string-concatenate")?); }
            Ok(Value::str(&s))
        },
        "simple-format" => |_, a, _, _| {
            arity(&a, 2, "simple-format")?;
            if a[0].is_true() { return fail("simple-format: only (simple-format #f ...) is supported") }
            format(want_str(&a[1], "simple-format")?, &a[2..])
        },
        "basename" => |_, a, _, _| {
            arity(&a, 1, "basename")?;
            let path = want_str(&a[0], "basename")?;
            let trimmed = path.trim_end_matches('/');
            let base = if trimmed.is_empty() && !path.is_empty() { "/" } else { trimmed.rsplit('/').next().unwrap_or(trimmed) };
            let base = match a.get(1) { Some(suffix) => { let suffix = want_str(suffix, "basename")?; base.strip_suffix(suffix).filter(|b| !b.is_empty()).unwrap_or(base) } None => base };
            Ok(Value::str(base))
        },
        "string-pad" => |_, a, _, _| {
            arity(&a, 2, "string-pad")?;
            let s = want_str(&a[0], "string-pad")?;
            let n = want_int(&a[1], "string-pad")?.max(0) as usize;
            let pad = match a.get(2) { Some(Value::Char(c)) => *c, _ => ' ' };
            let chars: Vec<char> = s.chars().collect();
            let out: String = if chars.len() >= n { chars[chars.len() - n..].iter().collect() } else { std::iter::repeat_n(pad, n - chars.len()).chain(chars).collect() };
            Ok(Value::str(&out))
        },
        "gensym" => |_, a, _, _| {
            static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let prefix = match a.first() { Some(Value::Str(s)) => s.to_string(), _ => " g".into() };
            Ok(Value::Sym(Symbol::intern(&format!("{prefix}{n}"))))
        },
        "gexp-input" => |_, a, _, _| {
            // (gexp-input thing [output] [#:native? bool]): what a gexp
            // refers to, here only carried along.
            let Some(thing) = a.first() else { return fail("gexp-input: no argument") };
            let output = match a.get(1) { Some(Value::Str(o)) => Value::Str(o.clone()), _ => Value::str("out") };
            let native = a.iter().skip(1).position(|v| matches!(v, Value::Kw(k) if k.as_str() == "native?")).and_then(|i| a.get(i + 2)).is_some_and(Value::is_true);
            Ok(Value::Record(Rc::new(Record { kind: Symbol::intern("gexp-input"), fields: vec![
                (Symbol::intern("thing"), thing.clone()),
                (Symbol::intern("output"), output),
                (Symbol::intern("native?"), Value::Bool(native)),
            ] })))
        },
        "assume-valid-file-name" => |_, a, _, _| { arity(&a, 1, "assume-valid-file-name")?; want_str(&a[0], "assume-valid-file-name")?; Ok(a[0].clone()) },
        "P_" => |_, a, _, _| a.into_iter().next().map_or_else(|| fail("P_: no argument"), Ok),
        "strip-keyword-arguments" => |_, a, _, _| { arity(&a, 2, "strip-keyword-arguments")?; strip_keyword_arguments(&a[0], &a[1]) },
        "ensure-keyword-arguments" => |_, a, _, _| { arity(&a, 2, "ensure-keyword-arguments")?; ensure_keyword_arguments(&a[0], &a[1]) },
        "resolve-interface" => |_, a, _, _| {
            arity(&a, 1, "resolve-interface")?;
            let words: Vec<&str> = want_list(&a[0], "resolve-interface")?.iter().filter_map(|w| match w { Value::Sym(s) => Some(s.as_str()), _ => None }).collect();
            Ok(Value::Record(Rc::new(Record { kind: Symbol::intern("module"), fields: vec![(Symbol::intern("name"), Value::str(&words.join(" ")))] })))
        },
        "resolve-module" => |_, a, _, _| {
            arity(&a, 1, "resolve-module")?;
            let words: Vec<&str> = want_list(&a[0], "resolve-module")?.iter().filter_map(|w| match w { Value::Sym(s) => Some(s.as_str()), _ => None }).collect();
            Ok(Value::Record(Rc::new(Record { kind: Symbol::intern("module"), fields: vec![(Symbol::intern("name"), Value::str(&words.join(" ")))] })))
        },
        "module-ref" => |it, a, _, _| {
            arity(&a, 2, "module-ref")?;
            let name = a[0].as_record("module").and_then(|r| r.get("name")).and_then(Value::as_str).ok_or_else(|| EvalError { module: 0, line: 0, message: "module-ref: expected a module".into() })?;
            let Value::Sym(var) = a[1] else { return fail("module-ref: expected a symbol") };
            it.module_variable(name, var)
        },
        "find-packages-by-name" => |it, a, _, _| {
            arity(&a, 1, "find-packages-by-name")?;
            let version = match a.get(1) { Some(Value::Str(v)) => Some(v.to_string()), _ => None };
            it.find_packages_by_name(want_str(&a[0], "find-packages-by-name")?, version.as_deref())
        },
        "specification->package" => |it, a, _, _| {
            arity(&a, 1, "specification->package")?;
            let spec = want_str(&a[0], "specification->package")?;
            let (name, version) = match spec.split_once('@') { Some((n, v)) => (n, Some(v)), None => (spec, None) };
            let found = it.find_packages_by_name(name, version)?;
            match found.as_slice().and_then(|xs| xs.first().cloned()) { Some(p) => Ok(p), None => fail(format!("no package matches {spec:?}")) }
        },
        "%current-system" => |_, _, _, _| Ok(Value::str("x86_64-linux")),
        "%current-target-system" => |_, _, _, _| Ok(Value::Bool(false)),
        "target-linux?" => |_, a, _, _| target_is(&a, "target-linux?"),
        "target-x86-64?" => |_, a, _, _| target_is(&a, "target-x86-64?"),
        "target-x86?" => |_, a, _, _| target_is(&a, "target-x86?"),
        "target-64bit?" => |_, a, _, _| target_is(&a, "target-64bit?"),
        "target-x86-32?" => |_, a, _, _| target_is(&a, "target-x86-32?"),
        "target-arm?" => |_, a, _, _| target_is(&a, "target-arm?"),
        "target-arm32?" => |_, a, _, _| target_is(&a, "target-arm32?"),
        "target-aarch64?" => |_, a, _, _| target_is(&a, "target-aarch64?"),
        "target-powerpc?" => |_, a, _, _| target_is(&a, "target-powerpc?"),
        "target-ppc32?" => |_, a, _, _| target_is(&a, "target-ppc32?"),
        "target-ppc64le?" => |_, a, _, _| target_is(&a, "target-ppc64le?"),
        "target-riscv64?" => |_, a, _, _| target_is(&a, "target-riscv64?"),
        "target-mips64el?" => |_, a, _, _| target_is(&a, "target-mips64el?"),
        "target-hurd?" => |_, a, _, _| target_is(&a, "target-hurd?"),
        "target-mingw?" => |_, a, _, _| target_is(&a, "target-mingw?"),
        "system-hurd?" => |_, _, _, _| Ok(Value::Bool(false)),
        "version-prefix" => |_, a, _, _| { arity(&a, 2, "version-prefix")?; version_prefix(want_str(&a[0], "version-prefix")?, want_int(&a[1], "version-prefix")? as usize) },
        "version-major+minor" => |_, a, _, _| { arity(&a, 1, "version-major+minor")?; version_prefix(want_str(&a[0], "version-major+minor")?, 2) },
        "version-major" => |_, a, _, _| { arity(&a, 1, "version-major")?; version_prefix(want_str(&a[0], "version-major")?, 1) },
        "version-major+minor+point" => |_, a, _, _| {
            arity(&a, 1, "version-major+minor+point")?;
            let three = version_prefix(want_str(&a[0], "version-major+minor+point")?, 3)?;
            let s = three.as_str().unwrap_or_default();
            Ok(Value::str(s.split('-').next().unwrap_or(s)))
        },
        "git-version" => |_, a, _, _| vcs_version(&a, "git-version"),
        "hg-version" => |_, a, _, _| vcs_version(&a, "hg-version"),
        "git-file-name" => |_, a, _, _| { arity(&a, 2, "git-file-name")?; Ok(Value::str(&format!("{}-{}-checkout", want_str(&a[0], "git-file-name")?, want_str(&a[1], "git-file-name")?))) },
        "hg-file-name" => |_, a, _, _| { arity(&a, 2, "hg-file-name")?; Ok(Value::str(&format!("{}-{}-checkout", want_str(&a[0], "hg-file-name")?, want_str(&a[1], "hg-file-name")?))) },
        "svn-file-name" => |_, a, _, _| { arity(&a, 2, "svn-file-name")?; Ok(Value::str(&format!("{}-{}-checkout", want_str(&a[0], "svn-file-name")?, want_str(&a[1], "svn-file-name")?))) },
        "base32" => |_, a, _, _| { arity(&a, 1, "base32")?; want_str(&a[0], "base32")?; Ok(hash_record(arcstr::literal!("nix-base32"), a[0].clone())) },
        "base64" => |_, a, _, _| { arity(&a, 1, "base64")?; want_str(&a[0], "base64")?; Ok(hash_record(arcstr::literal!("base64"), a[0].clone())) },
        "search-patches" => |_, a, _, _| { for p in &a { want_str(p, "search-patches")?; } Ok(Value::list(a)) },
        "search-patch" => |_, a, _, _| { arity(&a, 1, "search-patch")?; want_str(&a[0], "search-patch")?; Ok(a[0].clone()) },
        // A file found through `%load-path` is named relative to the
        // tree, as `search-patch` names patches.
        "search-path" => |_, a, _, _| {
            arity(&a, 2, "search-path")?;
            if a[0].as_record("load-path").is_none() { return fail("search-path: only %load-path is known"); }
            want_str(&a[1], "search-path")?;
            Ok(a[1].clone())
        },
        "search-auxiliary-file" => |_, a, _, _| { arity(&a, 1, "search-auxiliary-file")?; want_str(&a[0], "search-auxiliary-file")?; Ok(a[0].clone()) },
        "license" => |_, a, _, _| {
            arity(&a, 2, "license")?;
            Ok(Value::Record(Rc::new(Record { kind: Symbol::intern("license"), fields: vec![
                (Symbol::intern("name"), a[0].clone()),
                (Symbol::intern("uri"), a[1].clone()),
                (Symbol::intern("comment"), a.get(2).cloned().unwrap_or(Value::Bool(false))),
            ] })))
        },
        "license?" => |_, a, _, _| Ok(Value::Bool(a.first().and_then(|v| v.as_record("license")).is_some())),
        "package-name" => |it, a, _, _| pkg_field(it, &a, Field::Name),
        "package-version" => |it, a, _, _| pkg_field(it, &a, Field::Version),
        "package-source" => |it, a, _, _| pkg_field(it, &a, Field::Source),
        "package-build-system" => |it, a, _, _| pkg_field(it, &a, Field::BuildSystem),
        "package-arguments" => |it, a, _, _| {
            arity(&a, 1, "package-arguments")?;
            it.arguments_value(want_pkg(&a[0], "package-arguments")?)
        },
        "package-inputs" => |it, a, _, _| pkg_field(it, &a, Field::Inputs),
        "package-native-inputs" => |it, a, _, _| pkg_field(it, &a, Field::NativeInputs),
        "package-propagated-inputs" => |it, a, _, _| pkg_field(it, &a, Field::PropagatedInputs),
        "package-outputs" => |it, a, _, _| pkg_field(it, &a, Field::Outputs),
        "package-home-page" => |it, a, _, _| pkg_field(it, &a, Field::HomePage),
        "package-synopsis" => |it, a, _, _| pkg_field(it, &a, Field::Synopsis),
        "package-description" => |it, a, _, _| pkg_field(it, &a, Field::Description),
        "package-license" => |it, a, _, _| pkg_field(it, &a, Field::License),
        "package-properties" => |it, a, _, _| pkg_field(it, &a, Field::Properties),
        "package-replacement" => |it, a, _, _| pkg_field(it, &a, Field::Replacement),
        "package-supported-systems" => |it, a, _, _| pkg_field(it, &a, Field::SupportedSystems),
        "package-full-name" => |it, a, _, _| {
            arity(&a, 1, "package-full-name")?;
            let p = want_pkg(&a[0], "package-full-name")?;
            let sep = match a.get(1) { Some(s) => want_str(s, "package-full-name")?.to_owned(), None => "@".into() };
            let (n, v) = (it.field(p, Field::Name)?, it.field(p, Field::Version)?);
            Ok(Value::str(&format!("{}{sep}{}", want_str(&n, "package-full-name")?, want_str(&v, "package-full-name")?)))
        },
        "package-upstream-name" => |it, a, _, _| {
            arity(&a, 1, "package-upstream-name")?;
            let p = want_pkg(&a[0], "package-upstream-name")?;
            let props = it.field(p, Field::Properties)?;
            match assoc(&props, &Value::Sym(Symbol::intern("upstream-name"))) {
                Some(e) => cdr(Some(&e)),
                None => it.field(p, Field::Name),
            }
        },
        "package-transitive-supported-systems" => |_, _, _, _| Ok(Value::list(vec![Value::str("x86_64-linux")])),
        "supported-package?" => |_, _, _, _| Ok(Value::Bool(true)),
        "origin-uri" => |_, a, _, _| origin_field(&a, "uri"),
        "origin-method" => |_, a, _, _| origin_field(&a, "method"),
        "origin-sha256" => |_, a, _, _| origin_field(&a, "sha256"),
        "origin-file-name" => |_, a, _, _| origin_field(&a, "file-name"),
        "origin-patches" => |_, a, _, _| origin_field(&a, "patches"),
        "origin-snippet" => |_, a, _, _| origin_field(&a, "snippet"),
        "origin-modules" => |_, a, _, _| origin_field(&a, "modules"),
        "git-reference-url" => |_, a, _, _| record_field(&a, "git-reference", "url"),
        "git-reference-commit" => |_, a, _, _| record_field(&a, "git-reference", "commit"),
        "this-package-input" => |it, a, _, _| this_package_input(it, &a, &[Field::Inputs, Field::PropagatedInputs]),
        "this-package-native-input" => |it, a, _, _| this_package_input(it, &a, &[Field::NativeInputs]),
        "hidden-package" => |it, a, _, _| {
            arity(&a, 1, "hidden-package")?;
            let p = want_pkg(&a[0], "hidden-package")?;
            let mut q = Package::new(p.thunks.to_vec(), p.module, p.line, it.birth());
            q.hidden = true;
            Ok(Value::Package(Rc::new(q)))
        },
        "deprecated-package" => |it, a, _, _| {
            arity(&a, 2, "deprecated-package")?;
            let p = want_pkg(&a[1], "deprecated-package")?;
            want_str(&a[0], "deprecated-package")?;
            let mut thunks = p.thunks.to_vec();
            thunks[Field::Name as usize] = Thunk::Value(a[0].clone());
            thunks[Field::Properties as usize] = Thunk::Value(Value::list(vec![cons(Value::Sym(Symbol::intern("superseded")), a[1].clone())]));
            Ok(Value::Package(Rc::new(Package::new(thunks, p.module, p.line, it.birth()))))
        },
        "package-mapping" => |it, a, _, _| {
            arity(&a, 1, "package-mapping")?;
            let cut = a.get(1).filter(|v| !matches!(v, Value::Kw(_))).cloned();
            // Its table keeps packages whose inputs refer back to it.
            Ok(it.memoising(Procedure::Mapping(Mapping { proc: a[0].clone(), cut, memo: Default::default() })))
        },
        // vhashes as association lists, newest first.
        "vhash-cons" => |_, a, _, _| { arity(&a, 3, "vhash-cons")?; want_list(&a[2], "vhash-cons")?; Ok(cons(cons(a[0].clone(), a[1].clone()), a[2].clone())) },
        "vhash-consq" => |_, a, _, _| { arity(&a, 3, "vhash-consq")?; want_list(&a[2], "vhash-consq")?; Ok(cons(cons(a[0].clone(), a[1].clone()), a[2].clone())) },
        "vhash-assoc" => |_, a, _, _| {
            arity(&a, 2, "vhash-assoc")?;
            // An entry is (key . value): a pair, or a list when the value is one.
            let found = want_list(&a[1], "vhash-assoc")?.iter().find(|e| match e {
                Value::Pair(p) => equal(&p.0, &a[0]),
                e => e.as_slice().and_then(|xs| xs.first()).is_some_and(|k| equal(k, &a[0])),
            });
            Ok(found.cloned().unwrap_or(Value::Bool(false)))
        },
        "vlist-null?" => |_, a, _, _| { arity(&a, 1, "vlist-null?")?; Ok(Value::Bool(want_list(&a[0], "vlist-null?")?.is_empty())) },
        "make-regexp" => |_, a, _, _| {
            arity(&a, 1, "make-regexp")?;
            if a.len() > 1 {
                return fail("make-regexp: flags are not supported");
            }
            let pattern = want_str(&a[0], "make-regexp")?;
            regexp::compile(pattern).map_err(|e| EvalError { module: 0, line: 0, message: e })?;
            Ok(Value::Record(Rc::new(Record { kind: Symbol::intern("regexp"), fields: vec![(Symbol::intern("pattern"), a[0].clone())] })))
        },
        "regexp?" => |_, a, _, _| Ok(Value::Bool(a.first().is_some_and(|v| v.as_record("regexp").is_some()))),
        "regexp-exec" => |_, a, _, _| {
            arity(&a, 2, "regexp-exec")?;
            let Some(pattern) = a[0].as_record("regexp").and_then(|r| r.get("pattern")) else {
                return fail(format!("regexp-exec: expected a regexp, got {:?}", a[0]));
            };
            regexp_match(pattern, &a[1], a.get(2), "regexp-exec")
        },
        "regexp-substitute/global" => |_, a, _, _| regexp_substitute_global(&a),
        "string-match" => |_, a, _, _| {
            arity(&a, 2, "string-match")?;
            regexp_match(&a[0], &a[1], a.get(2), "string-match")
        },
        "regexp-match?" => |_, a, _, _| Ok(Value::Bool(a.first().is_some_and(|v| v.as_record("regexp-match").is_some()))),
        "match:substring" => |_, a, _, _| {
            arity(&a, 1, "match:substring")?;
            let (text, m) = want_match(&a[0], "match:substring")?;
            let n = a.get(1).map(|v| want_int(v, "match:substring")).transpose()?.unwrap_or(0);
            Ok(usize::try_from(n).ok().and_then(|n| regexp::substring(text, &m, n)).map_or(Value::Bool(false), |s| Value::str(&s)))
        },
        "match:start" => |_, a, _, _| match_bound(&a, "match:start", |(s, _)| s),
        "match:end" => |_, a, _, _| match_bound(&a, "match:end", |(_, e)| e),
        "match:count" => |_, a, _, _| {
            arity(&a, 1, "match:count")?;
            Ok(Value::Int(want_match(&a[0], "match:count")?.1.groups.len() as i64))
        },
    };
    for m in [
        "url-fetch",
        "url-fetch/tarbomb",
        "url-fetch/zipbomb",
        "git-fetch",
        "hg-fetch",
        "svn-fetch",
        "svn-multi-fetch",
        "cvs-fetch",
        "bzr-fetch",
        "computed-origin-method",
        "url-fetch*",
    ] {
        t.push((m, Builtin::Method(m)));
    }
    t.push(("%gnu-mirror", Builtin::Str("mirror://gnu/")));
    t.push(("%host-type", Builtin::Str("x86_64-unknown-linux-gnu")));
    t.push(("%default-system", Builtin::Str("x86_64-linux")));
    t.push(("%patch-path", Builtin::False));
    t.push(("vlist-null", Builtin::Null));
    t.push(("%supported-systems", Builtin::SupportedSystems));
    t.push(("%load-path", Builtin::LoadPath));
    t.into_iter().map(|(n, b)| (Symbol::intern(n), b)).collect()
}

/// Guix's `target-linux?` and friends (`(guix utils)`): of the triplet or
/// system given, or else of the native x86_64-linux build Kiln evaluates
/// for (no target system: `target-mingw?` is false).
fn target_is<'a>(args: &[Value<'a>], what: &str) -> EvalResult<'a> {
    let target = match args.first() {
        Some(Value::Bool(false)) if what == "target-mingw?" => return Ok(Value::Bool(false)),
        Some(v) => want_str(v, what)?,
        None if what == "target-mingw?" => return Ok(Value::Bool(false)),
        None => "x86_64-linux",
    };
    let x86_32 = ["i386-", "i486-", "i586-", "i686-"]
        .iter()
        .any(|p| target.starts_with(p));
    Ok(Value::Bool(match what {
        "target-linux?" => target.contains("linux"),
        "target-hurd?" => target.ends_with("-gnu") && !target.contains("linux"),
        "target-mingw?" => target.ends_with("-mingw32"),
        "target-x86-32?" => x86_32,
        "target-x86-64?" => target.starts_with("x86_64-"),
        "target-x86?" => x86_32 || target.starts_with("x86_64-"),
        "target-arm32?" => target.starts_with("arm"),
        "target-aarch64?" => target.starts_with("aarch64"),
        "target-arm?" => target.starts_with("arm") || target.starts_with("aarch64"),
        "target-ppc32?" => target.starts_with("powerpc-"),
        "target-ppc64le?" => target.starts_with("powerpc64le-"),
        "target-powerpc?" => target.starts_with("powerpc"),
        "target-riscv64?" => target.starts_with("riscv64"),
        "target-mips64el?" => target.starts_with("mips64el-"),
        "target-64bit?" => ["x86_64", "aarch64", "mips64", "powerpc64", "riscv64"]
            .iter()
            .any(|p| target.starts_with(p)),
        _ => return fail(format!("{what}: not a target predicate")),
    }))
}

/// A `hash` record of `text` (a string value, shared with the syntax tree
/// when it is a literal: a tree has about 18,000 origins).
pub(super) fn hash_record<'a>(encoding: arcstr::ArcStr, text: Value<'a>) -> Value<'a> {
    Value::Record(Rc::new(Record {
        kind: Symbol::intern("hash"),
        fields: vec![
            (Symbol::intern("encoding"), Value::Str(encoding)),
            (Symbol::intern("text"), text),
        ],
    }))
}

fn pkg_field<'a>(it: &Interp<'a>, a: &[Value<'a>], f: Field) -> EvalResult<'a> {
    arity(a, 1, f.name())?;
    let p = want_pkg(&a[0], f.name())?;
    it.field(p, f)
}

fn origin_field<'a>(a: &[Value<'a>], name: &str) -> EvalResult<'a> {
    record_field(a, "origin", name)
}

fn record_field<'a>(a: &[Value<'a>], kind: &str, name: &str) -> EvalResult<'a> {
    arity(a, 1, name)?;
    let Some(r) = a[0].as_record(kind) else {
        return fail(format!("{kind}-{name}: expected a {kind}, got {:?}", a[0]));
    };
    Ok(r.get(name).cloned().unwrap_or(match name {
        "patches" | "modules" => Value::Null,
        _ => Value::Bool(false),
    }))
}

/// Version order as Guix's `version-compare` sees it: glibc's
/// `strverscmp`, as the model already implements it.
pub fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    kiln_normalizer::guix_version::guix_version_cmp(a, b)
}

fn this_package_input<'a>(it: &Interp<'a>, a: &[Value<'a>], fields: &[Field]) -> EvalResult<'a> {
    arity(a, 1, "this-package-input")?;
    let name = want_str(&a[0], "this-package-input")?;
    let Some(p) = it.this_package() else {
        return fail("this-package-input outside a package");
    };
    for f in fields {
        let inputs = it.field(&p, *f)?;
        for i in inputs.as_slice().unwrap_or_default() {
            if let Some([Value::Str(label), v, rest @ ..]) = i.as_slice() {
                if &**label == name {
                    return Ok(match rest {
                        [out, ..] => Value::list(vec![v.clone(), out.clone()]),
                        [] => v.clone(),
                    });
                }
            }
        }
    }
    Ok(Value::Bool(false))
}
