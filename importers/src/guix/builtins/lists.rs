//! Built-ins on lists, association lists and numbers.

use super::*;

pub(super) fn car<'a>(v: Option<&Value<'a>>) -> EvalResult<'a> {
    match v {
        Some(Value::List(xs)) => Ok(xs[0].clone()),
        Some(Value::Pair(p)) => Ok(p.0.clone()),
        other => fail(format!("car: expected a pair, got {other:?}")),
    }
}

pub(super) fn cdr<'a>(v: Option<&Value<'a>>) -> EvalResult<'a> {
    match v {
        Some(Value::List(xs)) => Ok(Value::list(xs[1..].to_vec())),
        Some(Value::Pair(p)) => Ok(p.1.clone()),
        other => fail(format!("cdr: expected a pair, got {other:?}")),
    }
}

pub(super) fn append(lists: Vec<Value<'_>>) -> EvalResult<'_> {
    let n = lists.len();
    let mut out = Vec::new();
    for (i, l) in lists.into_iter().enumerate() {
        match l.as_slice() {
            Some(xs) => out.extend(xs.iter().cloned()),
            None if i == n - 1 => {
                return Ok(out.into_iter().rev().fold(l, |acc, x| cons(x, acc)));
            }
            None => return fail(format!("append: expected a list, got {l:?}")),
        }
    }
    Ok(Value::list(out))
}

pub(super) fn member<'a>(a: &[Value<'a>]) -> EvalResult<'a> {
    arity(a, 2, "member")?;
    let l = want_list(&a[1], "member")?;
    Ok(match l.iter().position(|x| equal(x, &a[0])) {
        Some(i) => Value::list(l[i..].to_vec()),
        None => Value::Bool(false),
    })
}

/// The entry of alist `alist` whose car is `key`.
pub(super) fn assoc<'a>(alist: &Value<'a>, key: &Value<'a>) -> Option<Value<'a>> {
    alist
        .as_slice()?
        .iter()
        .find(|e| car(Some(e)).is_ok_and(|k| equal(&k, key)))
        .cloned()
}

pub(super) fn arith<'a>(
    a: &[Value<'a>],
    unit: i64,
    int: fn(i64, i64) -> Option<i64>,
    float: fn(f64, f64) -> f64,
) -> EvalResult<'a> {
    let mut acc = Value::Int(unit);
    for (i, v) in a.iter().enumerate() {
        let v = v.clone();
        acc = match (&acc, &v) {
            (Value::Int(x), Value::Int(y)) if i == 0 && unit == 0 && a.len() > 1 => {
                let _ = x;
                Value::Int(*y)
            }
            (Value::Int(x), Value::Int(y)) => match int(*x, *y) {
                Some(n) => Value::Int(n),
                None => Value::Float(float(*x as f64, *y as f64)),
            },
            (Value::Int(x), Value::Float(y)) => Value::Float(float(*x as f64, *y)),
            (Value::Float(x), Value::Int(y)) => Value::Float(float(*x, *y as f64)),
            (Value::Float(x), Value::Float(y)) => Value::Float(float(*x, *y)),
            _ => return fail(format!("arithmetic on a {}", v.type_name())),
        };
    }
    Ok(acc)
}

pub(super) fn compare<'a>(a: &[Value<'a>], ok: fn(std::cmp::Ordering) -> bool) -> EvalResult<'a> {
    let num = |v: &Value<'_>| match v {
        Value::Int(n) => Ok(*n as f64),
        Value::Float(f) => Ok(*f),
        _ => Err(EvalError {
            module: 0,
            line: 0,
            message: format!("comparison of a {}", v.type_name()),
        }),
    };
    for w in a.windows(2) {
        let (x, y) = (num(&w[0])?, num(&w[1])?);
        match x.partial_cmp(&y) {
            Some(o) if ok(o) => {}
            _ => return Ok(Value::Bool(false)),
        }
    }
    Ok(Value::Bool(true))
}

/// An association list without the entries whose key is `key` (`equal?`).
pub(super) fn alist_without<'a>(alist: &[Value<'a>], key: &Value<'a>) -> EvalResult<'a> {
    Ok(Value::list(
        alist
            .iter()
            .filter(|e| !car(Some(e)).is_ok_and(|k| equal(&k, key)))
            .cloned()
            .collect(),
    ))
}

/// `(strip-keyword-arguments keywords args)`, as guix/utils.scm: `args`
/// without the keywords listed and their values.
pub(super) fn strip_keyword_arguments<'a>(
    keywords: &Value<'a>,
    args: &Value<'a>,
) -> EvalResult<'a> {
    let keywords = want_list(keywords, "strip-keyword-arguments")?;
    let args = want_list(args, "strip-keyword-arguments")?;
    let mut out = Vec::with_capacity(args.len());
    let mut i = 0;
    while i < args.len() {
        match (&args[i], args.get(i + 1)) {
            (Value::Kw(_), Some(value)) => {
                if !keywords.iter().any(|k| equal(k, &args[i])) {
                    out.extend([args[i].clone(), value.clone()]);
                }
                i += 2;
            }
            (other, _) => {
                out.push(other.clone());
                i += 1;
            }
        }
    }
    Ok(Value::list(out))
}

/// `(ensure-keyword-arguments args kw/values)`, as guix/utils.scm: the
/// keywords of `kw/values` take their values there, in place where `args`
/// has them, the others added at the end.
pub(super) fn ensure_keyword_arguments<'a>(args: &Value<'a>, forced: &Value<'a>) -> EvalResult<'a> {
    let args = want_list(args, "ensure-keyword-arguments")?;
    let mut forced = want_list(forced, "ensure-keyword-arguments")?.to_vec();
    let mut out = Vec::with_capacity(args.len() + forced.len());
    for pair in args.chunks(2) {
        let [kw, value] = pair else {
            return fail("ensure-keyword-arguments: odd number of elements");
        };
        match forced.iter().position(|k| equal(k, kw)) {
            Some(at) if at + 1 < forced.len() => {
                out.extend([kw.clone(), forced[at + 1].clone()]);
                forced.drain(at..at + 2);
            }
            _ => out.extend([kw.clone(), value.clone()]),
        }
    }
    out.extend(forced);
    Ok(Value::list(out))
}
